"""Subscription URLs as people see them: the credentials a URL may carry never leave the archive.

A feed behind HTTP basic authentication is subscribed as `https://user:secret@host/feed`; the
userinfo is sent with the request and kept in the archive (it is the subscription's key), but
no output, listing, export or message shows the password."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

HIDDEN = "***"
# The authority's userinfo, for URLs that urllib cannot split (`http://[x/`): never shown either.
_USERINFO = re.compile(r"(?<=//)[^/?#@\s]*@")


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def has_userinfo(url: str) -> bool:
    """Whether the URL's authority carries a user name (and maybe a password)."""
    parts = _split(url)
    return "@" in parts.netloc if parts else bool(_USERINFO.search(url))


def hide_password(url: str) -> str:
    """`user:***@host` in place of `user:secret@host`, for a person who must recognise the
    subscription (listings, messages); a user name alone may be a token (`TOKEN@host`), so it
    shows as `***@host`. URLs without credentials come back unchanged."""
    parts = _split(url)
    if parts is None:
        return _USERINFO.sub(f"{HIDDEN}@", url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, has_password, _password = userinfo.partition(":")
    shown = f"{user}:{HIDDEN}" if has_password else HIDDEN
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def without_userinfo(url: str) -> str:
    """The URL with no user name or password, for files that others read (archive.json,
    OPML exports, the feeds we write)."""
    parts = _split(url)
    if parts is None:
        return _USERINFO.sub("", url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def with_userinfo_of(url: str, credentialed: str) -> str:
    """`url` with the credentials of `credentialed` when both are on the same origin (a
    comment feed beside a feed behind a password), else unchanged."""
    source, target = _split(credentialed), _split(url)
    if source is None or target is None or "@" not in source.netloc or "@" in target.netloc:
        return url
    same_origin = (source.scheme, source.hostname, source.port) == (
        target.scheme,
        target.hostname,
        target.port,
    )
    if not same_origin:
        return url
    userinfo = source.netloc.rpartition("@")[0]
    return urlunsplit(target._replace(netloc=f"{userinfo}@{target.netloc}"))
