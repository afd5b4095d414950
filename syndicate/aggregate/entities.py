"""Entities a feed declares in its DOCTYPE: the harmless ones expanded, the rest refused.

A few feeds declare entities for their own convenience (`<!ENTITY site "https://...">`, the
HTML names feedparser does not know). Those are expanded here, before feedparser sees the
document, when each is internal and names no other entity, and all of them together add at
most MAX_ENTITY_EXPANSION bytes (counted over every reference before anything is expanded).
Everything else that a DOCTYPE can do to a parser is refused with a FeedError: external
entities (`SYSTEM "file:///etc/passwd"`), parameter entities, entities that expand other
entities (a billion-laughs bomb is refused at its second declaration, before any work).

The document is decoded here as RFC 7303 says (a BOM, else the HTTP charset, else the XML
declaration, else UTF-8) and handed on as UTF-8 without its DOCTYPE."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from syndicate.aggregate.limits import MAX_ENTITY_EXPANSION
from syndicate.errors import FeedError

MAX_DECLARATIONS = 256  # entity declarations in one DOCTYPE
PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAME = rb"[A-Za-z_:][-A-Za-z0-9._:]*"
# A DOCTYPE that opens an internal subset; with an ENTITY declaration or a parameter entity
# reference in the document, the entity path below reads it (the check runs on the bytes
# without NULs, so that UTF-16 and UTF-32 cannot hide it).
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY|%" + _NAME + rb";", re.IGNORECASE)
_EBCDIC_XML = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC, where neither check above can look
_DOCTYPE_START = re.compile(
    rb"<!DOCTYPE\s+" + _NAME + rb"(?:\s+(?:SYSTEM|PUBLIC(?:\s+(?:\"[^\"]*\"|'[^']*')))"
    rb"\s+(?:\"[^\"]*\"|'[^']*'))?\s*(\[)?"
)
# One item of an internal subset, matched where the last one ended.
_SUBSET_ITEM = re.compile(
    rb"(?P<space>\s+)"
    rb"|(?P<comment><!--.*?-->)"
    rb"|(?P<pi><\?.*?\?>)"
    rb"|<!ENTITY\s+(?P<parameter>%\s+)?(?P<name>" + _NAME + rb")\s+"
    rb"(?:(?P<external>SYSTEM|PUBLIC)\b[^>]*|\"(?P<double>[^\"]*)\"|'(?P<single>[^']*)')\s*>"
    rb"|(?P<declaration><!(?:ELEMENT|ATTLIST|NOTATION)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)"
    rb"|(?P<reference>%" + _NAME + rb";)"
    rb"|(?P<end>\]\s*>)",
    re.DOTALL,
)
_CHARACTER_REFERENCE = re.compile(rb"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")
_ENTITY_REFERENCE = re.compile(rb"&(" + _NAME + rb");")
_SECTION_START = re.compile(rb"<!\[CDATA\[|<!--")
_ELEMENT_START = re.compile(rb"<[A-Za-z_:]")
_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_XML_DECLARATION = re.compile(rb"^<\?xml[^>]*\?>")
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_UNMARKED = (  # "<?" in encodings that are not ASCII-compatible (XML 1.0 appendix F)
    (b"\x00\x00\x00\x3c", "utf-32-be"),
    (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\x00\x3c\x00\x3f", "utf-16-be"),
    (b"\x3c\x00\x3f\x00", "utf-16-le"),
    (_EBCDIC_XML, "cp037"),
)


def declares_entities(content: bytes) -> bool:
    """Whether the document's DOCTYPE may declare entities (then `expand_internal_entities`
    reads it, and feedparser never sees the declarations)."""
    visible = content.replace(b"\x00", b"")
    if visible.startswith(_EBCDIC_XML):
        visible = content.decode("cp037", errors="replace").encode("utf-8")
    return bool(_INTERNAL_SUBSET.search(visible) and _ENTITY_DECLARATION.search(visible))


def expand_internal_entities(content: bytes, url: str, *, charset: str | None = None) -> bytes:
    """The document as UTF-8, its internal entities expanded and its DOCTYPE gone; a
    FeedError for any entity that is not internal, simple and small (see the module)."""
    data = to_utf8(content, charset)
    doctype = _DOCTYPE_START.search(data)
    if doctype is None or doctype.group(1) is None:
        raise FeedError(url, "refusing a DOCTYPE that cannot be read (its entities are unclear)")
    if _ELEMENT_START.search(data, 0, doctype.start()):
        return data  # the text of an element (in CDATA), not a declaration
    entities, end = _declared_entities(data, doctype.end(), url)
    body = data[end:]
    _check_expansion(body, entities, url)
    return data[: doctype.start()] + b"".join(_expanded(body, entities))


def to_utf8(content: bytes, charset: str | None) -> bytes:
    """RFC 7303's order: a BOM, else the HTTP charset, else the XML declaration (or what
    the first bytes say), else UTF-8; what fails to decode so is read as windows-1252. The
    result declares encoding='utf-8'."""
    text = _decode(content, charset)
    data = text.encode("utf-8")
    declaration = b"<?xml version='1.0' encoding='utf-8'?>"
    if _XML_DECLARATION.match(data):
        return _XML_DECLARATION.sub(declaration, data, count=1)
    return declaration + b"\n" + data


def _decode(content: bytes, charset: str | None) -> str:
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, errors="replace")
    candidates = (charset, _sniffed_encoding(content), "utf-8")
    for candidate in candidates:
        if candidate and _known_codec(candidate):
            try:
                return content.decode(candidate)
            except UnicodeDecodeError:
                continue
    return content.decode("windows-1252", errors="replace")


def _sniffed_encoding(content: bytes) -> str | None:
    for start, encoding in _UNMARKED:
        if content.startswith(start):
            return encoding
    declared = _DECLARED_ENCODING.match(content)
    return declared.group(1).decode("ascii") if declared else None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _declared_entities(data: bytes, start: int, url: str) -> tuple[dict[bytes, bytes], int]:
    """{name: replacement text} of the internal subset that begins at `start`, and where the
    DOCTYPE ends; a FeedError for anything but internal entities that name no other."""
    entities: dict[bytes, bytes] = {}
    position = start
    while True:
        item = _SUBSET_ITEM.match(data, position)
        if item is None:
            raise FeedError(
                url, "refusing a DOCTYPE that cannot be read (its entities are unclear)"
            )
        position = item.end()
        if item.group("end"):
            return entities, position
        if item.group("reference"):
            raise FeedError(url, "refusing a DOCTYPE that uses parameter entities")
        name = item.group("name")
        if name is None:
            continue  # whitespace, a comment, a processing instruction, an element declaration
        if item.group("parameter"):
            raise FeedError(url, "refusing a DOCTYPE that declares parameter entities")
        if item.group("external"):
            raise FeedError(url, f"refusing the external entity {name.decode()!r} (SYSTEM/PUBLIC)")
        value = item.group("double") if item.group("double") is not None else item.group("single")
        if name in entities or name.decode() in PREDEFINED:
            continue  # the first declaration binds (XML 1.0 4.2); the predefined stay
        entities[name] = _replacement_text(name, value, url)
        if len(entities) > MAX_DECLARATIONS:
            raise FeedError(
                url, f"refusing a DOCTYPE that declares over {MAX_DECLARATIONS} entities"
            )


def _replacement_text(name: bytes, value: bytes, url: str) -> bytes:
    """The text a reference stands for: character references replaced (as XML does when it
    reads the declaration), the five predefined references kept for the parser."""
    if b"%" in value:
        raise FeedError(url, f"refusing the entity {name.decode()!r}: it uses parameter entities")
    for reference in _ENTITY_REFERENCE.finditer(value):
        if reference.group(1).decode() not in PREDEFINED:
            raise FeedError(
                url,
                f"refusing the entity {name.decode()!r}: it expands another entity "
                f"(&{reference.group(1).decode()};), as XML bombs do",
            )
    return _CHARACTER_REFERENCE.sub(_character, value)


def _character(reference: re.Match[bytes]) -> bytes:
    hexadecimal, decimal = reference.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return b""
    return chr(code).encode("utf-8")


def _check_expansion(body: bytes, entities: dict[bytes, bytes], url: str) -> None:
    """Refuse before expanding anything when the references would add too much: every
    reference in the body counts (at least a byte each), in comments and CDATA too."""
    budget = MAX_ENTITY_EXPANSION
    for name, replacement in entities.items():
        cost = max(len(replacement), 1)
        uses = body.count(b"&" + name + b";")
        budget -= cost * uses
        if budget < 0:
            raise FeedError(
                url,
                f"refusing a document whose entities would add over {MAX_ENTITY_EXPANSION} "
                f"bytes (&{name.decode()}; alone is used {uses} times)",
            )


def _expanded(body: bytes, entities: dict[bytes, bytes]) -> Iterator[bytes]:
    """The body with each declared reference replaced, but in comments and CDATA sections,
    where `&name;` is text. Linear: each section's end is looked for once."""
    if not entities:
        yield body
        return
    names = b"|".join(re.escape(name) for name in sorted(entities, key=len, reverse=True))
    references = re.compile(b"&(" + names + b");")

    def replace(reference: re.Match[bytes]) -> bytes:
        return entities[reference.group(1)]

    position = 0
    while position < len(body):
        section = _SECTION_START.search(body, position)
        if section is None:
            yield references.sub(replace, body[position:])
            return
        yield references.sub(replace, body[position : section.start()])
        closing = b"]]>" if section.group() == b"<![CDATA[" else b"-->"
        end = body.find(closing, section.end())
        end = len(body) if end < 0 else end + len(closing)
        yield body[section.start() : end]
        position = end
