"""Deciding that two entries are the same article: URL normalisation, title keys, text overlap.

Pure functions, no I/O; the archive's store finds candidates through its indexes and asks
`same_article`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from syndicate.clean import plain_text

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "source",
        "trk",
        "cmpid",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
INDEX_FILES = ("index.html", "index.htm", "index.php")
SHINGLE_WORDS = 5
MIN_SHINGLES = 3
CONTAINMENT_THRESHOLD = 0.6
# A copy may add a line of its own (a title heading, a greeting, "Read the rest on my blog",
# a credit) but not paragraphs: that is an article of its own that quotes the other. More
# consecutive shingles than this missing from the longer text mean text of its own.
MAX_OWN_RUN = 25
# A copy, even a summary, starts where the original starts; an article that quotes one
# passage from the middle of another does not. In shingles from the start of the longer text.
MAX_START = 30
DATE_WINDOW = timedelta(days=3)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_url(url: str | None) -> str | None:
    """One spelling per resource: lower-case scheme and host, https for http, no www., no
    default port, fragment, tracking parameters, trailing slash or index file; sorted query."""
    if not url:
        return None
    url = url.strip()
    plain = _PLAIN_URL.fullmatch(url)
    if plain is None:
        return _normalize_any_url(url)
    # Most URLs in feeds: the same steps as below without urllib's general parsing, which
    # was a fifth of the time that storing a fetched entry took.
    host = plain["host"].lower().removeprefix("www.")
    if not host:
        return None
    return "https://" + host + _plain_path(plain["path"] or "/")


# http(s), a host name of letters, digits, dots and hyphens, and a path of characters that
# urlsplit passes through as they are: no port, user, query, fragment, space or control.
_PLAIN_URL = re.compile(
    r"(?i:https?)://(?P<host>[A-Za-z0-9.-]+)(?P<path>/[\w\-.~!$&'()*+,;=:@%/]*)?", re.ASCII
)


def _plain_path(path: str) -> str:
    for index_file in INDEX_FILES:
        if path.endswith("/" + index_file):
            path = path[: -len(index_file)]
    return path.rstrip("/")


def _normalize_any_url(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if scheme not in ("http", "https") or not host:
        return None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = _plain_path(parts.path or "/")
    query = parts.query and urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query) if not _is_tracking(k))
    )
    return urlunsplit(("https", netloc, path, query, ""))


def _is_tracking(parameter: str) -> bool:
    lowered = parameter.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def title_key(title: str) -> str:
    """Case, punctuation and whitespace folded away: "BYE, BYE  BAKHMUT!" ~ "Bye bye Bakhmut"."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    if folded.isascii():  # most titles: one table look-up per character, the same result
        kept = folded.translate(_ASCII_SEPARATORS)
    else:
        kept = "".join(" " if _is_separator(ch) else ch for ch in folded)
    return " ".join(kept.split())


def _is_separator(character: str) -> bool:
    """Punctuation, symbols, spaces and control characters separate the words of a title."""
    return unicodedata.category(character)[0] in "PSZC"


_ASCII_SEPARATORS = {code: " " for code in range(128) if _is_separator(chr(code))}


def text_of(html: str) -> str:
    return plain_text(html)


def shingle_sequence(text: str) -> tuple[int, ...]:
    """Hashed runs of SHINGLE_WORDS words, in text order: the unit of text overlap.

    A run's hash is the hash of its words' stable hashes: a tuple of ints hashes the same in
    every process (only str and bytes hashes are salted), and each word is hashed once."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text))
    hashes = [_word_hash(word.casefold()) for word in words]
    runs = zip(*(hashes[start:] for start in range(SHINGLE_WORDS)), strict=False)  # stops short
    return tuple(map(hash, runs))


def shingles(text: str) -> frozenset[int]:
    return frozenset(shingle_sequence(text))


def overlap_start(shorter: frozenset[int], longer: tuple[int, ...]) -> int:
    """Where in the longer text the shared text begins (its length when nothing is shared)."""
    return next((i for i, shingle in enumerate(longer) if shingle in shorter), len(longer))


def longest_run_missing(sequence: tuple[int, ...], other: frozenset[int]) -> int:
    """The most consecutive shingles of `sequence` that `other` lacks: text of its own."""
    longest = current = 0
    for shingle in sequence:
        current = 0 if shingle in other else current + 1
        longest = max(longest, current)
    return longest


@lru_cache(maxsize=65536)
def _word_hash(word: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(word.encode(), digest_size=8).digest(), "big", signed=True
    )


def containment(shorter: frozenset[int], longer: frozenset[int]) -> float:
    """How much of the smaller text stands in the larger one (a summary in its full article)."""
    small, large = sorted((shorter, longer), key=len)
    if not small:
        return 0.0
    return len(small & large) / len(small)


@dataclass(frozen=True)
class Evidence:
    rule: str  # "link" or "content" (and "manual" for overrides)
    detail: str


@dataclass(frozen=True)
class CopyFacts:
    """What the merge rules look at in one copy."""

    norm_url: str | None
    norm_origins: frozenset[str]  # articles it says it copies
    norm_sources: frozenset[str]  # feeds or sites it says it came from
    title_key: str
    published: datetime | None
    html: str  # read as text and shingled only when the content rule needs it

    @cached_property
    def urls(self) -> list[str]:
        """Its own URL and those it names, sorted: what finds it in the archive's indexes."""
        return sorted({u for u in (self.norm_url, *self.norm_origins, *self.norm_sources) if u})

    @cached_property
    def text(self) -> str:
        return text_of(self.html)

    @cached_property
    def shingle_sequence(self) -> tuple[int, ...]:
        return shingle_sequence(self.text)  # the module function of the same name

    @cached_property
    def shingles(self) -> frozenset[int]:
        return frozenset(self.shingle_sequence)


def link_evidence(new: CopyFacts, old: CopyFacts) -> Evidence | None:
    if new.norm_url and new.norm_url == old.norm_url:
        return Evidence("link", f"same URL {new.norm_url}")
    if old.norm_url and old.norm_url in new.norm_origins | new.norm_sources:
        return Evidence("link", f"names {old.norm_url} as its origin")
    if new.norm_url and new.norm_url in old.norm_origins | old.norm_sources:
        return Evidence("link", f"is named as the origin of the other copy ({new.norm_url})")
    # Two copies of one original that is not (yet) in the archive; a site's home page or a
    # feed named by many different articles proves nothing, so only article URLs count.
    shared = sorted(url for url in new.norm_origins & old.norm_origins if is_article_url(url))
    if shared:
        return Evidence("link", f"both name {shared[0]} as their origin")
    return None


def is_article_url(norm_url: str) -> bool:
    """A URL with a path below the site's root (normalised URLs have no trailing slash)."""
    return bool(urlsplit(norm_url).path.strip("/"))


def content_evidence(new: CopyFacts, old: CopyFacts) -> Evidence | None:
    if not new.title_key or new.title_key != old.title_key:
        return None
    if new.published is None or old.published is None:
        return None
    apart = abs(new.published - old.published)
    if apart > DATE_WINDOW:
        return None
    shorter, longer = sorted((new, old), key=lambda facts: len(facts.shingles))
    if len(shorter.shingles) < MIN_SHINGLES:
        return None
    overlap = containment(shorter.shingles, longer.shingles)
    if overlap < CONTAINMENT_THRESHOLD:
        return None
    if longest_run_missing(shorter.shingle_sequence, longer.shingles) > MAX_OWN_RUN:
        return None
    if overlap_start(shorter.shingles, longer.shingle_sequence) > MAX_START:
        return None
    return Evidence(
        "content",
        f"same title key {new.title_key!r}, dates {apart.days} day(s) apart, "
        f"{overlap:.0%} of the shorter text in the longer",
    )


def same_article(new: CopyFacts, old: CopyFacts) -> Evidence | None:
    """Link evidence first (strongest), then content evidence; None when not the same article."""
    return link_evidence(new, old) or content_evidence(new, old)
