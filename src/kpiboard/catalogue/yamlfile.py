"""YAML that remembers where things are: every mapping key and list item keeps its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kpiboard.errors import KpiboardError

Loc = tuple[str | int, ...]


class LocatedYaml:
    """Parsed YAML plus the line (1-based) of every key and list item, by path."""

    def __init__(self, path: Path, data: Any, lines: dict[Loc, int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc`` or of its nearest located ancestor."""
        for n in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:n]))
            if line is not None:
                return line
        return None


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), lines)


MAX_ALIASES = 1000
"""Alias uses a file may make, counting each alias inside an aliased value every time the value
is repeated: plenty for sharing a rule or a block of defaults, far short of a "billion laughs"
file whose few hundred bytes of nested aliases expand to millions of values."""


class _TooManyAliases(yaml.composer.ComposerError):
    """Aliases that would expand past MAX_ALIASES, or an alias inside its own anchor."""


class _AliasBudgetLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases past MAX_ALIASES, at the alias that crosses it: the
    composer shares an aliased node, but every walk of the result (ours, and the checks') would
    repeat it."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._alias_uses = 0  # counted as if every alias were written out in full
        self._within: list[int] = [0]  # alias uses inside each node being composed
        self._uses_in: dict[int, int] = {}  # id(node) -> alias uses inside it
        self._open: set[str] = set()  # anchors whose node is still being composed

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._use_alias(event)
            return super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        self._within.append(0)
        node = super().compose_node(parent, index)
        uses = self._within.pop()
        self._uses_in[id(node)] = uses
        self._within[-1] += uses
        self._open.discard(anchor)
        return node

    def _use_alias(self, event: yaml.AliasEvent) -> None:
        target = self.anchors.get(event.anchor)
        if target is None:
            return  # an undefined alias: SafeLoader says so
        mark: Any = event.start_mark  # a yaml.error.Mark, typed more loosely
        if event.anchor in self._open:
            raise _TooManyAliases(None, None, f"alias *{event.anchor} inside its own anchor", mark)
        uses = 1 + self._uses_in.get(id(target), 0)
        self._alias_uses += uses
        self._within[-1] += uses
        if self._alias_uses > MAX_ALIASES:
            raise _TooManyAliases(
                None, None, f"too many YAML aliases (more than {MAX_ALIASES})", mark
            )


class _NoDuplicateLoader(_AliasBudgetLoader):
    pass


class _DuplicateKey(yaml.constructor.ConstructorError):
    """The same key twice in one mapping: valid syntax, but one of the values would be lost."""


def _construct_mapping(
    loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:  # e.g. `? [a, b]`: SafeLoader reports this, but only after our check
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found unhashable key",
                key_node.start_mark,
            ) from None
        if key in seen:
            raise _DuplicateKey(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_NoDuplicateLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)

# libyaml (C) when PyYAML was built with it: about ten times faster than the pure-Python parser.
_CLoader: Any = getattr(yaml, "CSafeLoader", None)


class _FastLoader(_CLoader or yaml.SafeLoader):  # type: ignore[misc]
    """libyaml's parser with the same safe constructor and duplicate-key check."""


_FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _shares_nodes(root: yaml.Node) -> bool:
    """Whether a node is reached twice (an alias): those files take the careful path, which
    counts alias uses as it composes."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                todo += (key, value)
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return False


def _fast(text: str) -> tuple[yaml.Node | None, Any] | None:
    """The node tree and data of ``text`` read once by libyaml; None when the text has an
    alias or any error, for the careful path to read it again and say exactly what is wrong."""
    if _CLoader is None:
        return None
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _shares_nodes(node):
            return None
        return node, (None if node is None else loader.construct_document(node))
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def load_yaml(path: Path, display: str | None = None) -> LocatedYaml:
    """Read a YAML file; a syntax error becomes a KpiboardError naming file and line."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KpiboardError("file not found", where=name) from None
    except UnicodeDecodeError as exc:
        raise KpiboardError(
            f"not UTF-8 text (byte {exc.start})", where=name, hint="save the file as UTF-8"
        ) from None
    read = _fast(text)
    if read is not None:
        node, data = read
    else:
        node, data = _careful(text, name)
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYaml(path, data, lines)


def _careful(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """``text`` read by the pure-Python parser, twice: composed counting alias uses, then
    loaded; errors become KpiboardErrors naming the file and line."""
    try:
        node = yaml.compose(text, Loader=_AliasBudgetLoader)
        data = yaml.load(text, Loader=_NoDuplicateLoader)  # a SafeLoader subclass: safe
    except _TooManyAliases as exc:
        where = f"{name}:{exc.problem_mark.line + 1}" if exc.problem_mark else name
        raise KpiboardError(
            str(exc.problem),
            where=where,
            hint="anchors and aliases are for sharing a value, not for building large "
            "structures; write the values out",
        ) from None
    except _DuplicateKey as exc:
        where = f"{name}:{exc.problem_mark.line + 1}" if exc.problem_mark else name
        raise KpiboardError(
            str(exc.problem), where=where, hint="keep one of them, or check the indentation"
        ) from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or "invalid YAML"
        hint = "check indentation, colons and quotes"
        mark = exc.problem_mark or exc.context_mark
        if "end of stream" in problem and exc.context_mark is not None:
            # an unclosed quote or bracket: the end of the file says nothing; where it opened does
            mark = exc.context_mark
            problem = f"{problem} {exc.context}"
            hint = "a quote or bracket opened on this line is never closed"
        where = f"{name}:{mark.line + 1}" if mark else name
        raise KpiboardError(f"malformed YAML: {problem}", where=where, hint=hint) from None
    return node, data
