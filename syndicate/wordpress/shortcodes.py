"""The shortcodes WordPress itself registers that carry content — [caption], [embed], [audio],
[video], [gallery] — turned into the HTML WordPress's HTML5 themes write for them, with what
the export knows (attachments) and nothing fetched. A plugin's shortcode ([contact-form-7],
[playlist]...) is kept as the text it is: its output cannot be known without the plugin.

The grammar is WordPress's own (get_shortcode_regex, shortcode_parse_atts), so that `[[gallery]]`
stays escaped and a closing tag is found as WordPress finds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape, unescape
from urllib.parse import parse_qs, urlsplit

HANDLED = ("caption", "wp_caption", "embed", "audio", "video", "gallery")

AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "wma": "audio/x-ms-wma",
}
VIDEO_TYPES = {
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "ogv": "video/ogg",
    "wmv": "video/x-ms-wmv",
    "flv": "video/x-flv",
}
IMAGE_SUFFIXES = {"jpg", "jpeg", "jpe", "png", "gif", "webp", "avif", "bmp", "svg", "heic"}


def media_type(url: str) -> str | None:
    """The MIME type of an audio or video file from its name, as WordPress's own table gives
    it (not the system's mime.types, which differs between machines)."""
    suffix = urlsplit(url).path.rpartition(".")[2].lower()
    return AUDIO_TYPES.get(suffix) or VIDEO_TYPES.get(suffix)


def is_image(url: str) -> bool:
    return urlsplit(url).path.rpartition(".")[2].lower() in IMAGE_SUFFIXES


@dataclass(frozen=True)
class Attachment:
    """A media file of the export: its URL and what WordPress shows with it."""

    id: str
    url: str
    title: str = ""
    caption: str = ""  # the attachment's excerpt
    alt: str = ""
    size: int | None = None  # bytes, as WordPress 6 records them
    duration: int | None = None  # seconds, for audio and video


class Media:
    """The attachments of the export, by id and by the post they belong to (in menu order)."""

    def __init__(self, attachments: list[tuple[Attachment, str, int]]) -> None:
        ordered = sorted(attachments, key=lambda entry: (entry[2], _number(entry[0].id)))
        self.by_id = {attachment.id: attachment for attachment, _, _ in ordered}
        self.by_parent: dict[str, list[Attachment]] = {}
        for attachment, parent, _ in ordered:
            self.by_parent.setdefault(parent, []).append(attachment)

    def of_post(self, post_id: str) -> list[Attachment]:
        return self.by_parent.get(post_id, [])

    def at(self, url: str) -> Attachment | None:
        return next((a for a in self.by_id.values() if a.url == url), None)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def shortcode_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """get_shortcode_regex(): 1 and 6 the escaping brackets, 2 the name, 3 the attributes,
    4 a self-closing slash, 5 the enclosed content."""
    tags = "|".join(re.escape(name) for name in names)
    return re.compile(
        rf"\[(\[?)({tags})(?![\w-])([^\]/]*(?:/(?!\])[^\]/]*)*?)"
        rf"(?:(/)\]|\](?:([^\[]*+(?:\[(?!/\2\])[^\[]*+)*+)\[/\2\])?)(\]?)"
    )


_PATTERN = shortcode_pattern(HANDLED)
_ATTRIBUTE = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"""
)


def parse_attributes(text: str) -> dict[str, str]:
    """shortcode_parse_atts(): name="value", name='value', name=value; bare values are kept
    under their position ("0", "1"...)."""
    attributes: dict[str, str] = {}
    text = re.sub("[\xa0\u200b]+", " ", text)
    position = 0
    for match in _ATTRIBUTE.finditer(text):
        for name_group in (1, 3, 5):
            if match[name_group]:
                attributes[match[name_group].lower()] = match[name_group + 1]
                break
        else:
            value = match[7] if match[7] is not None else match[8] or match[9] or ""
            attributes[str(position)] = value
            position += 1
    return attributes


def attribute(value: str) -> str:
    """A shortcode's attribute value as an HTML attribute value (the editor may have escaped it)."""
    return escape(unescape(value), quote=True)


def do_shortcodes(text: str, *, post_id: str, media: Media) -> str:
    """Every handled shortcode replaced by its HTML; escaped ones ([[caption]]) unescaped."""
    renderers: Mapping[str, Callable[[dict[str, str], str | None], str]] = {
        "caption": lambda attrs, content: _caption(attrs, content, post_id, media),
        "wp_caption": lambda attrs, content: _caption(attrs, content, post_id, media),
        "embed": lambda attrs, content: embed_html((content or attrs.get("src", "")).strip()),
        "audio": lambda attrs, content: _audio(attrs, post_id, media),
        "video": lambda attrs, content: _video(attrs, post_id, media),
        "gallery": lambda attrs, content: _gallery(attrs, post_id, media),
    }

    def replace(match: re.Match[str]) -> str:
        if match[1] == "[" and match[6] == "]":  # [[name]] is the text [name]
            return match[0][1:-1]
        rendered = renderers[match[2]](parse_attributes(match[3]), match[5])
        return match[1] + rendered + match[6]

    return _PATTERN.sub(replace, text)


_CAPTIONED = re.compile(r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)", re.IGNORECASE | re.S)


def _caption(attrs: dict[str, str], content: str | None, post_id: str, media: Media) -> str:
    """img_caption_shortcode() for an HTML5 theme: <figure> and <figcaption>."""
    content = content or ""
    caption = attrs.get("caption", "")
    if not caption:
        found = _CAPTIONED.match(content.strip())
        if found:
            content, caption = found[1], found[2].strip()
    inner = do_shortcodes(content, post_id=post_id, media=media)
    if not caption.strip():
        return inner
    identity = re.sub(r"[^A-Za-z0-9_-]", "", attrs.get("id", ""))
    caption_id = f"caption-{identity.replace('_', '-')}" if identity else ""
    classes = " ".join(("wp-caption", attrs.get("align", "alignnone"), attrs.get("class", "")))
    opening = "<figure"
    if identity:
        opening += f' id="{identity}" aria-describedby="{caption_id}"'
    opening += f' class="{attribute(classes.strip())}">'
    caption_opening = f'<figcaption id="{caption_id}" ' if caption_id else "<figcaption "
    return (
        f'{opening}{inner}{caption_opening}class="wp-caption-text">{caption}</figcaption></figure>'
    )


AUDIO_SOURCES = ("src", "mp3", "m4a", "ogg", "oga", "wav", "wma", "flac")
VIDEO_SOURCES = ("src", "mp4", "m4v", "webm", "ogv", "wmv", "flv")


def _audio(attrs: dict[str, str], post_id: str, media: Media) -> str:
    sources = [attrs[name] for name in AUDIO_SOURCES if attrs.get(name)]
    if not sources:
        sources = [a.url for a in media.of_post(post_id) if _is_kind(a.url, "audio/")]
    if not sources:
        return ""
    options = _player_options(attrs, default_preload="none")
    return f"<audio controls{options}>{_sources(sources)}</audio>"


def _video(attrs: dict[str, str], post_id: str, media: Media) -> str:
    sources = [attrs[name] for name in VIDEO_SOURCES if attrs.get(name)]
    if not sources:
        sources = [a.url for a in media.of_post(post_id) if _is_kind(a.url, "video/")]
    if not sources:
        return ""
    options = _player_options(attrs, default_preload="metadata")
    for name in ("width", "height"):
        if attrs.get(name, "").isdigit():
            options += f' {name}="{attrs[name]}"'
    if attrs.get("poster"):
        options += f' poster="{attribute(attrs["poster"])}"'
    return f"<video controls{options}>{_sources(sources)}</video>"


def _is_kind(url: str, prefix: str) -> bool:
    return (media_type(url) or "").startswith(prefix)


def _player_options(attrs: dict[str, str], *, default_preload: str) -> str:
    preload = attrs.get("preload", default_preload)
    options = f' preload="{attribute(preload)}"' if preload in ("none", "metadata", "auto") else ""
    for flag in ("loop", "autoplay", "muted"):
        if attrs.get(flag, "").lower() in ("1", "true", "on", flag):
            options += f" {flag}"
    return options


def _sources(urls: list[str]) -> str:
    """One <source> a file, and a link to the first for players that show none."""
    tags = []
    for url in dict.fromkeys(urls):
        kind = media_type(url)
        typed = f' type="{kind}"' if kind else ""
        tags.append(f'<source src="{attribute(url)}"{typed}>')
    first = attribute(urls[0])
    return "".join(tags) + f'<a href="{first}">{escape(unescape(urls[0]), quote=False)}</a>'


def _gallery(attrs: dict[str, str], post_id: str, media: Media) -> str:
    """gallery_shortcode(): the images named by ids/include, else the post's own; each links to
    its file (attachment pages do not move with the posts)."""
    chosen = attrs.get("ids") or attrs.get("include")
    if chosen:
        wanted = [part.strip() for part in chosen.split(",") if part.strip()]
        images = [media.by_id[number] for number in wanted if number in media.by_id]
    else:
        images = media.of_post(attrs.get("id", post_id))
    excluded = {part.strip() for part in attrs.get("exclude", "").split(",")}
    images = [image for image in images if image.id not in excluded and is_image(image.url)]
    if not images:
        return ""
    columns = attrs.get("columns", "3") if attrs.get("columns", "3").isdigit() else "3"
    linked = attrs.get("link", "") != "none"
    items = []
    for image in images:
        picture = f'<img src="{attribute(image.url)}" alt="{attribute(image.alt)}">'
        if linked:
            picture = f'<a href="{attribute(image.url)}">{picture}</a>'
        caption = image.caption.strip()
        figcaption = (
            f'<figcaption class="wp-caption-text gallery-caption">{caption}</figcaption>'
            if caption
            else ""
        )
        items.append(f'<figure class="gallery-item">{picture}{figcaption}</figure>')
    return f'<div class="gallery gallery-columns-{columns}">{"".join(items)}</div>'


def embed_html(url: str) -> str:
    """What [embed] and an embed block show without asking the provider (oEmbed): the player of
    YouTube or Vimeo, whose embed addresses follow from the page's; a link for the others."""
    url = unescape(url)
    if not re.match(r"^https?://\S+$", url, re.IGNORECASE):
        return escape(url, quote=False)
    player = _player_url(url)
    if player is not None:
        return (
            f'<iframe src="{attribute(player)}" width="640" height="360" loading="lazy" '
            'allowfullscreen title="Embedded video"></iframe>'
        )
    return f'<a href="{attribute(url)}">{escape(url, quote=False)}</a>'


def _player_url(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video: str | None = None
    if host == "youtube.com" and parts.path == "/watch":
        video = parse_qs(parts.query).get("v", [None])[0]
    elif host == "youtu.be" or (host == "youtube.com" and parts.path.startswith("/shorts/")):
        video = parts.path.rstrip("/").rpartition("/")[2]
    if video and re.fullmatch(r"[\w-]{6,20}", video):
        return f"https://www.youtube.com/embed/{video}"
    number = re.fullmatch(r"/(\d+)/?", parts.path)
    if host == "vimeo.com" and number:
        return f"https://player.vimeo.com/video/{number[1]}"
    return None
