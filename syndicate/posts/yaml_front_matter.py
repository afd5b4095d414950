"""YAML front matter read in bounded time and memory, whoever wrote the file.

PyYAML's `yaml.load` first composes a node for every value (about 370 bytes each: 8 MB of
`[1,1,1,...]` took 1.5 GB), then builds the data from the nodes; and it lets an alias (`*a`)
stand for all that its anchor holds, so that a few lines of `b: &b [*a,*a,...]` stand for
billions of values (the "billion laughs"), which a walk over the data then meets one by one.
Here the data is built straight from the parser's events (libyaml's, in C, when PyYAML has
it), using PyYAML's own resolver and scalar constructors; an alias, a merge key (`<<`, which
is for aliases) and nesting deeper than MAX_DEPTH are refused with the line they are on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from syndicate.errors import PostError

MAX_DEPTH = 64  # nested lists and mappings; front matter needs a few (comments: two)
FIRST_LINE = 2  # the line of the file that the front matter's first line is (after `---`)
YAML_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = {YAML_TAG + name for name in ("null", "bool", "int", "float", "str", "binary")}
SCALAR_TAGS.add(YAML_TAG + "timestamp")  # only when written out (`!!timestamp`): see below
COLLECTION_TAGS = {None, "!", YAML_TAG + "seq", YAML_TAG + "map"}

# libyaml's C parser when PyYAML was built with it: several times faster on big sites.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """YAML's safe loader, but dates stay text: parse_date reads them and can say what is wrong
    with one (PyYAML's own timestamp constructor raises bare ValueErrors for 2020-13-45)."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != YAML_TAG + "timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_MISSING = object()  # a mapping's key not read yet
_STR_TAG = YAML_TAG + "str"
# The tag of a short plain scalar (a key, `true`, `12`) depends on its text alone: resolved
# once (by PyYAML's regular expressions), then looked up. Bounded: a stranger writes the file.
_resolved: dict[str, str] = {}
_RESOLVED_LENGTH = 40
_RESOLVED_KEPT = 4096


def load_front_matter(path: Path, source: str) -> Any:
    """The data of one YAML document; PostError (with the line) for what is refused.
    yaml.YAMLError for what the parser cannot read."""
    loader = FrontMatterLoader(source)
    try:
        return _build(path, loader)
    finally:
        loader.dispose()


def _build(path: Path, loader: Any) -> Any:
    document: list[Any] = []
    # Each open list or mapping: [the container, the key read for the value to come].
    open_ones: list[list[Any]] = [[document, _MISSING]]
    loader.get_event()  # the stream's start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # the document's start
    while not loader.check_event(yaml.DocumentEndEvent):
        event = loader.get_event()
        line = FIRST_LINE + event.start_mark.line
        if isinstance(event, yaml.ScalarEvent):
            _add(path, open_ones[-1], _scalar(path, loader, event, line), line)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if event.tag not in COLLECTION_TAGS:
                raise PostError(path, f"unsupported YAML tag {event.tag!r} in front matter", line)
            if len(open_ones) > MAX_DEPTH:
                raise PostError(
                    path, f"front matter nested more than {MAX_DEPTH} levels deep", line
                )
            container: Any = [] if isinstance(event, yaml.SequenceStartEvent) else {}
            _add(path, open_ones[-1], container, line)
            open_ones.append([container, _MISSING])
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            open_ones.pop()
        elif isinstance(event, yaml.AliasEvent):
            raise PostError(
                path,
                f"YAML alias *{event.anchor} in front matter: aliases are not supported "
                "(a few of them can stand for billions of values); write the value out",
                line,
            )
    loader.get_event()  # the document's end
    if not loader.check_event(yaml.StreamEndEvent):
        line = FIRST_LINE + loader.peek_event().start_mark.line
        raise PostError(path, "front matter must be a single YAML document", line)
    return document[0] if document else None


def _add(path: Path, open_one: list[Any], value: Any, line: int) -> None:
    container, key = open_one
    if isinstance(container, list):
        container.append(value)
    elif key is _MISSING:
        if isinstance(value, list | dict):
            raise PostError(path, "a list or mapping as a key in front matter", line)
        open_one[1] = value
    else:
        container[key] = value
        open_one[1] = _MISSING


def _scalar(path: Path, loader: Any, event: Any, line: int) -> Any:
    """The value, resolved and built as PyYAML's safe loader would."""
    tag = event.tag
    if tag is None and not event.implicit[0]:  # quoted or a block of text: a string, as is
        return event.value
    if tag is None and len(event.value) <= _RESOLVED_LENGTH:  # keys, and short plain values
        tag = _resolved.get(event.value)
        if tag is None:
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            if len(_resolved) < _RESOLVED_KEPT:
                _resolved[event.value] = tag
    elif tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _STR_TAG:
        return event.value  # what PyYAML's str constructor gives
    if tag == YAML_TAG + "merge":
        raise PostError(path, "YAML merge keys (<<) are not supported in front matter", line)
    if tag == YAML_TAG + "value":  # a lone `=`: YAML 1.1's default-value key, text to us
        tag = YAML_TAG + "str"
    if tag not in SCALAR_TAGS:
        raise PostError(path, f"unsupported YAML tag {tag!r} in front matter", line)
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
    try:
        return loader.yaml_constructors[tag](loader, node)
    except (ValueError, TypeError, OverflowError) as exc:  # `!!timestamp 2020-13-45`, `!!int x`
        raise PostError(path, f"invalid {tag.removeprefix(YAML_TAG)}: {exc}", line) from None
