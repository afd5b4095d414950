"""Deciding that two entries are the same article: URL normalisation, title keys, text overlap.

Pure functions, no I/O; archive.py finds candidates through its indexes and asks `same_article`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from syndicate.clean import plain_text

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_hsenc",
        "_hsmi", "mkt_tok", "ref", "ref_src", "ref_url", "source", "trk", "cmpid",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
INDEX_FILES = ("index.html", "index.htm", "index.php")
SHINGLE_WORDS = 5
MIN_SHINGLES = 3
CONTAINMENT_THRESHOLD = 0.6
DATE_WINDOW = timedelta(days=3)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_url(url: str | None) -> str | None:
    """One spelling per resource: lower-case scheme and host, https for http, no www., no
    default port, fragment, tracking parameters, trailing slash or index file; sorted query."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if scheme not in ("http", "https") or not host:
        return None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path or "/"
    for index_file in INDEX_FILES:
        if path.endswith("/" + index_file):
            path = path[: -len(index_file)]
    path = path.rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _is_tracking(k)))
    return urlunsplit(("https", netloc, path, query, ""))


def _is_tracking(parameter: str) -> bool:
    lowered = parameter.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def title_key(title: str) -> str:
    """Case, punctuation and whitespace folded away: "BYE, BYE  BAKHMUT!" ~ "Bye bye Bakhmut"."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    kept = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in folded)
    return " ".join(kept.split())


def text_of(html: str) -> str:
    return plain_text(html)


def shingles(text: str) -> frozenset[int]:
    """Hashed runs of SHINGLE_WORDS words: the unit of text overlap."""
    words = [word.casefold() for word in _WORD.findall(unicodedata.normalize("NFKC", text))]
    runs = (" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1))
    return frozenset(_stable_hash(run) for run in runs)


def _stable_hash(text: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
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
    norm_origins: frozenset[str]
    title_key: str
    published: datetime | None
    shingles: frozenset[int]


def link_evidence(new: CopyFacts, old: CopyFacts) -> Evidence | None:
    if new.norm_url and new.norm_url == old.norm_url:
        return Evidence("link", f"same URL {new.norm_url}")
    if old.norm_url and old.norm_url in new.norm_origins:
        return Evidence("link", f"names {old.norm_url} as its origin")
    if new.norm_url and new.norm_url in old.norm_origins:
        return Evidence("link", f"is named as the origin of the other copy ({new.norm_url})")
    shared = sorted(new.norm_origins & old.norm_origins)
    if shared:
        return Evidence("link", f"both name {shared[0]} as their origin")
    return None


def content_evidence(new: CopyFacts, old: CopyFacts) -> Evidence | None:
    if not new.title_key or new.title_key != old.title_key:
        return None
    if new.published is None or old.published is None:
        return None
    apart = abs(new.published - old.published)
    if apart > DATE_WINDOW:
        return None
    if min(len(new.shingles), len(old.shingles)) < MIN_SHINGLES:
        return None
    overlap = containment(new.shingles, old.shingles)
    if overlap < CONTAINMENT_THRESHOLD:
        return None
    return Evidence(
        "content",
        f"same title key {new.title_key!r}, dates {apart.days} day(s) apart, "
        f"{overlap:.0%} of the shorter text in the longer",
    )


def same_article(new: CopyFacts, old: CopyFacts) -> Evidence | None:
    """Link evidence first (strongest), then content evidence; None when not the same article."""
    return link_evidence(new, old) or content_evidence(new, old)
