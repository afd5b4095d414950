"""Subscription URLs as people see them: the credentials a URL may carry never leave the archive.

A feed behind HTTP basic authentication is subscribed as `https://user:secret@host/feed`; the
userinfo is sent with the request and kept in the archive (it is the subscription's key), but
no output, listing, export or message shows the password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

HIDDEN = "***"


def has_userinfo(url: str) -> bool:
    """Whether the URL's authority carries a user name (and maybe a password)."""
    return "@" in urlsplit(url).netloc


def hide_password(url: str) -> str:
    """`user:***@host` in place of `user:secret@host`, for a person who must recognise the
    subscription (listings, messages); URLs without credentials come back unchanged."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, has_password, _password = userinfo.partition(":")
    shown = f"{user}:{HIDDEN}" if has_password else user
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def without_userinfo(url: str) -> str:
    """The URL with no user name or password, for files that others read (archive.json,
    OPML exports, the feeds we write)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
