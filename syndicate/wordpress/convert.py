"""WordPress's items as our posts: which are imported, and the front matter and body of each.

What readers depend on is kept as WordPress had it: `id` is the item's guid (what every feed
reader holds), `url` its old address (so the site can keep it), comment ids are WordPress's
(so `#comment-ID` anchors and `guid#comment-ID` comment ids stay too), replies point at their
parent. What was never public (private, trashed, password-protected items; pending, spam and
trashed comments; editors' notes) is not imported, and each is named in the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from syndicate.clean import plain_text, xml_safe
from syndicate.errors import PostError
from syndicate.layout import make_slug
from syndicate.posts.base import shown
from syndicate.wordpress.content import comment_html, markdown_safe, post_html
from syndicate.wordpress.shortcodes import Attachment, Media, media_type
from syndicate.wordpress.wxr import Export, WxrComment, WxrItem

IMPORTED_TYPES = ("post", "page")
MEDIA_TYPES = ("attachment", "wp_block")  # used where posts refer to them, not posts themselves
PUBLISHED, SCHEDULED, DRAFTS = {"publish"}, {"future"}, {"draft", "pending"}
KEPT_COMMENT_TYPES = {"", "comment", "pingback", "trackback"}
LIKES_META_KEYS = ("likes", "_likes")  # WXR has no field of its own for a comment's likes
DEFAULT_CATEGORY = "uncategorized"  # on every post WordPress was not told better for: no tag
NOT_A_POST = "not a post or page"
UNDATED = "undated"
TITLE_WORDS = 10  # a post without a title (an aside, a status) is named by its first words


@dataclass(frozen=True)
class Skipped:
    """An item or comment of the export that is not imported, and why."""

    kind: str  # the item's post type ("post", "page", "nav_menu_item"...) or "comment"
    id: str  # WordPress's id for it
    title: str  # the item's title; for a comment, whose it is and on what
    reason: str  # "private", "trashed", "password-protected", "spam", "pending"...
    line: int  # where it starts in the export

    def __str__(self) -> str:
        return f"{self.kind} {self.id} {self.title!r} (line {self.line}): {self.reason}"


@dataclass(frozen=True)
class PlannedPost:
    """One post file to write: its front matter and its body (Markdown that is HTML)."""

    key: str  # identifies the item from one import to the next: its guid, else its id
    folder: str  # "" for posts, "pages" for pages
    slug: str
    front_matter: dict[str, Any]
    body: str
    page: bool = False
    draft: bool = False
    scheduled: bool = False
    comments: int = 0
    replies: int = 0


@dataclass
class Plan:
    posts: list[PlannedPost] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # taxonomy ("category", "post_tag") -> WordPress's slug of a term -> its name: the old
    # /category/<slug>/ and /tag/<slug>/ addresses, for whoever redirects them.
    terms: dict[str, dict[str, str]] = field(default_factory=dict)


def plan_import(export: Export, *, zone: tzinfo) -> Plan:
    """Everything to write, worked out before a file is touched (a PostError names the line)."""
    plan = Plan(terms=_terms(export))
    media = _media(export)
    blocks = {item.post_id: item.content for item in export.items if item.post_type == "wp_block"}
    slugs: set[str] = set()
    wanted = []
    for item in export.items:
        reason = _not_imported(item)
        if reason is not None:
            if item.post_type not in MEDIA_TYPES:
                plan.skipped.append(_skipped(item, reason))
            continue
        wanted.append(item)
    # Older items keep the plain slug when two share one (pages under different parents).
    for item in sorted(wanted, key=lambda item: (_number(item.post_id), item.line)):
        post = _post(export, item, zone=zone, media=media, blocks=blocks, slugs=slugs, plan=plan)
        if post is not None:
            plan.posts.append(post)
    plan.posts = _with_unique_keys(plan.posts)
    plan.posts.sort(key=lambda post: (post.folder, post.slug))
    return plan


def _with_unique_keys(posts: list[PlannedPost]) -> list[PlannedPost]:
    """Two items with one guid (a post copied in WordPress; the theme unit test data has two
    pairs) keep apart from one import to the next: the later by its slug, and without the
    shared guid as its `id` (it gets a tag: id of its own), since two posts of one site can
    never share one. Feed readers, which saw one entry for both, see the later once as new."""
    seen: set[str] = set()
    unique = []
    for post in posts:
        if post.key in seen:
            front = {key: value for key, value in post.front_matter.items() if key != "id"}
            post = replace(
                post, key=f"wordpress:{post.folder or 'post'}:{post.slug}", front_matter=front
            )
        seen.add(post.key)
        unique.append(post)
    return unique


def _not_imported(item: WxrItem) -> str | None:
    if item.post_type in MEDIA_TYPES:
        return "media"
    if item.post_type not in IMPORTED_TYPES:
        return NOT_A_POST
    if item.status == "private":
        return "private"
    if item.status == "trash":
        return "trashed"
    if item.status not in PUBLISHED | SCHEDULED | DRAFTS:
        return f"unpublished (status {item.status or 'missing'!r})"
    if item.password:
        return "password-protected"
    return None


def _skipped(item: WxrItem, reason: str) -> Skipped:
    return Skipped(item.post_type or "item", item.post_id, item.title, reason, item.line)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 2**63


def _post(
    export: Export,
    item: WxrItem,
    *,
    zone: tzinfo,
    media: Media,
    blocks: dict[str, str],
    slugs: set[str],
    plan: Plan,
) -> PlannedPost | None:
    published = _item_date(export, item, zone)
    if published is None:
        plan.skipped.append(_skipped(item, UNDATED))
        return None
    html = post_html(item.content, post_id=item.post_id, media=media, reusable_blocks=blocks)
    slug = _unique_slug(_slug_base(item), slugs)
    comments = _comments(export, item, zone, plan)
    front = {
        "title": _title(item, html),
        **_dates(export, item, zone, published),
        **_present(author=_name(export.authors.get(item.creator, item.creator))),
        "slug": slug,
        **_present(id=item.guid, url=_old_path(item.link, export.base_url)),
        **_present(page=item.post_type == "page", draft=item.status in DRAFTS),
        **_present(summary=plain_text(item.excerpt) if item.excerpt.strip() else ""),
        **_tags(item),
        **_present(enclosure=_enclosure(item, media), comments=comments),
    }
    return PlannedPost(
        key=item.guid or f"wordpress:{item.post_type}:{item.post_id}",
        folder="pages" if item.post_type == "page" else "",
        slug=slug,
        front_matter=front,
        body=markdown_safe(html),
        page=item.post_type == "page",
        draft=item.status in DRAFTS,
        scheduled=item.status in SCHEDULED,
        comments=len(comments),
        replies=sum(1 for comment in comments if "in_reply_to" in comment),
    )


def _present(**values: Any) -> dict[str, Any]:
    """The keys that have a value: front matter says nothing it does not have to."""
    return {key: value for key, value in values.items() if value}


def _tags(item: WxrItem) -> dict[str, list[str]]:
    """Tags, then the categories: each category is a tag too (with feeds of its own, as it had
    on WordPress), and listed apart as well."""
    tags, categories = _term_names(item, "post_tag"), _term_names(item, "category")
    return _present(tags=list(dict.fromkeys([*tags, *categories])), categories=categories)


# -- dates -------------------------------------------------------------------------------------


def wordpress_time(
    export: Export, text: str, zone: tzinfo, *, line: int, name: str
) -> datetime | None:
    """A WordPress date ("YYYY-MM-DD HH:MM:SS") in `zone`; None for none ("0000-00-00 ...",
    WordPress's date of what was never published)."""
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PostError(export.path, f"<{name}> is not a date: {shown(text)}", line) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _dates(export: Export, item: WxrItem, zone: tzinfo, published: datetime) -> dict[str, str]:
    """`date`, and `updated` when the post was modified after it (a scheduled post is often
    modified before its date)."""
    updated = _updated(export, item, zone)
    dates = {"date": published.isoformat()}
    if updated is not None and updated > published:
        dates["updated"] = updated.isoformat()
    return dates


def _item_date(export: Export, item: WxrItem, zone: tzinfo) -> datetime | None:
    """wp:post_date_gmt; else wp:post_date in the site's zone (a draft's GMT date is zero);
    else the RSS pubDate."""
    line = item.line
    moment = wordpress_time(export, item.post_date_gmt, UTC, line=line, name="wp:post_date_gmt")
    if moment is None:
        moment = wordpress_time(export, item.post_date, zone, line=line, name="wp:post_date")
    if moment is None and item.pub_date:
        try:
            moment = parsedate_to_datetime(item.pub_date)  # "Mon, 30 Nov -0001" for drafts
        except (TypeError, ValueError, IndexError):
            moment = None
    return moment


def _updated(export: Export, item: WxrItem, zone: tzinfo) -> datetime | None:
    line = item.line
    moment = wordpress_time(
        export, item.post_modified_gmt, UTC, line=line, name="wp:post_modified_gmt"
    )
    if moment is None:
        moment = wordpress_time(
            export, item.post_modified, zone, line=line, name="wp:post_modified"
        )
    return moment


# -- names and addresses -----------------------------------------------------------------------


def _slug_base(item: WxrItem) -> str:
    """wp:post_name (percent-encoded when it is not ASCII); a draft has none yet: its title."""
    return (
        make_slug(unquote(item.post_name))
        or make_slug(item.title)
        or f"{item.post_type or 'post'}-{item.post_id or item.line}"
    )


def _unique_slug(base: str, taken: set[str]) -> str:
    """`base`, else `base-2`, `base-3`...: each one that the Markdown importer's make_slug
    leaves as it is (it cuts slugs at 80 characters)."""
    number = 1
    while True:
        suffix = f"-{number}" if number > 1 else ""
        candidate = make_slug(base[: 80 - len(suffix)].rstrip("-") + suffix)
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        number += 1


def _old_path(link: str, base_url: str) -> str | None:
    """The item's address on the old site, relative to the blog's (`/2019/05/hello/`): None for
    plain permalinks (`/?p=12`), which no static file can answer, and for the front page."""
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or parts.query or not parts.path:
        return None
    path = "/" + parts.path.lstrip("/")  # `https://blog//greek/x/`: a slip WordPress serves
    base_path = urlsplit(base_url).path.rstrip("/")
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path) :]
    return path if path not in ("", "/") else None


def _name(text: str) -> str:
    """A title or name as text: WordPress keeps them as HTML (`&amp;`, `&raquo;`, even tags),
    and its feeds sent them without tags, entities decoded."""
    return xml_safe(plain_text(text) if "<" in text or "&" in text else " ".join(text.split()))


def _title(item: WxrItem, html: str) -> str:
    title = _name(item.title)
    if title:
        return title
    words = plain_text(html).split()
    if not words:
        return "(no title)"
    return " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")


def _term_names(item: WxrItem, domain: str) -> list[str]:
    names = (
        term.name
        for term in item.terms
        if term.domain == domain and not (domain == "category" and term.slug == DEFAULT_CATEGORY)
    )
    return list(dict.fromkeys(_name(name) for name in names if _name(name)))


def _terms(export: Export) -> dict[str, dict[str, str]]:
    terms: dict[str, dict[str, str]] = {"category": {}, "post_tag": {}}
    every = [*export.terms, *(term for item in export.items for term in item.terms)]
    for term in every:
        if term.domain in terms and term.slug and term.name:
            terms[term.domain].setdefault(term.slug, _name(term.name))
    return {domain: dict(sorted(names.items())) for domain, names in terms.items() if names}


# -- media -------------------------------------------------------------------------------------


def _media(export: Export) -> Media:
    attachments = []
    for item in export.items:
        if item.post_type == "attachment" and item.attachment_url:
            metadata = item.meta_value("_wp_attachment_metadata") or ""
            attachment = Attachment(
                id=item.post_id,
                url=item.attachment_url,
                title=item.title,
                caption=item.excerpt,
                alt=item.meta_value("_wp_attachment_image_alt") or "",
                size=_serialized_number(metadata, "filesize"),
                duration=_serialized_number(metadata, "length"),
            )
            attachments.append((attachment, item.post_parent, item.menu_order))
    return Media(attachments)


def _serialized_number(metadata: str, key: str) -> int | None:
    """A whole number from PHP's serialize() of an attachment's metadata (`s:8:"filesize";
    i:24986239;`), read without unserialising anything."""
    found = re.search(rf's:{len(key)}:"{key}";i:(\d{{1,15}});', metadata)
    return int(found[1]) if found and int(found[1]) > 0 else None


def _enclosure(item: WxrItem, media: Media) -> dict[str, Any] | None:
    """WordPress's own `enclosure` meta (what its feeds carried: URL, length, type), else the
    post's first audio or video attachment; with the attachment's size and duration when
    WordPress recorded them."""
    for key, value in item.meta:
        if key != "enclosure":
            continue
        lines = [line.strip() for line in value.strip().splitlines()]
        url = lines[0] if lines else ""
        if not url.lower().startswith(("http://", "https://")):
            continue
        length = int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else None
        declared = lines[2].split(";")[0].strip() if len(lines) > 2 else ""
        return _enclosure_fields(url, length, declared or media_type(url), media.at(url))
    for attachment in media.of_post(item.post_id):
        kind = media_type(attachment.url)
        if kind:
            return _enclosure_fields(attachment.url, None, kind, attachment)
    return None


def _enclosure_fields(
    url: str, length: int | None, kind: str | None, attachment: Attachment | None
) -> dict[str, Any]:
    enclosure: dict[str, Any] = {"url": url}
    length = length or (attachment.size if attachment else None)
    if length:
        enclosure["length"] = length
    if kind:
        enclosure["type"] = kind
    if attachment is not None and attachment.duration:
        enclosure["duration"] = attachment.duration
    return enclosure


# -- comments ----------------------------------------------------------------------------------


def _comments(export: Export, item: WxrItem, zone: tzinfo, plan: Plan) -> list[dict[str, Any]]:
    """Approved comments, pingbacks and trackbacks in the export's order; a reply whose parent
    is not kept (pending, spam) replies to the nearest ancestor that is, or to the post."""
    parent_of = {comment.id: comment.parent for comment in item.comments}
    kept: list[WxrComment] = []
    kept_ids: set[str] = set()
    for comment in item.comments:
        reason = _comment_problem(comment, kept_ids)
        if reason is not None:
            title = f"by {comment.author or 'Anonymous'} on {item.title or item.post_id}"
            plan.skipped.append(Skipped("comment", comment.id, title, reason, comment.line))
            continue
        kept.append(comment)
        kept_ids.add(comment.id)
    return [
        _comment(export, comment, zone, _kept_ancestor(comment, parent_of, kept_ids))
        for comment in kept
    ]


def _comment_problem(comment: WxrComment, kept_ids: set[str]) -> str | None:
    if comment.type not in KEPT_COMMENT_TYPES:
        return "an editor's note" if comment.type == "note" else f"comment type {comment.type!r}"
    if comment.approved != "1":
        reasons = {"0": "pending", "spam": "spam", "trash": "trashed", "post-trashed": "trashed"}
        return reasons.get(comment.approved, f"not approved ({comment.approved or 'missing'})")
    if not comment.id:
        return "no wp:comment_id"
    if comment.id in kept_ids:
        return "a second comment with this id"
    return None


def _kept_ancestor(comment: WxrComment, parent_of: dict[str, str], kept: set[str]) -> str | None:
    seen = {comment.id}
    parent = comment.parent
    while parent not in ("", "0") and parent not in seen:
        if parent in kept:
            return parent
        seen.add(parent)
        parent = parent_of.get(parent, "0")
    return None


def _comment(
    export: Export, comment: WxrComment, zone: tzinfo, parent: str | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": comment.id, "author": _name(comment.author) or "Anonymous"}
    if comment.author_url.lower().startswith(("http://", "https://")):
        entry["author_url"] = comment.author_url
    line = comment.line
    moment = wordpress_time(export, comment.date_gmt, UTC, line=line, name="wp:comment_date_gmt")
    if moment is None:
        moment = wordpress_time(export, comment.date, zone, line=line, name="wp:comment_date")
    if moment is not None:
        entry["date"] = moment.isoformat()
    entry["body"] = markdown_safe(xml_safe(comment_html(comment.content)))
    if parent is not None:
        entry["in_reply_to"] = parent
    likes = next((value for key, value in comment.meta if key in LIKES_META_KEYS), "")
    if likes.strip().isdigit() and int(likes) > 0:
        entry["likes"] = int(likes)
    if comment.type in ("pingback", "trackback"):
        entry["type"] = comment.type
    return entry
