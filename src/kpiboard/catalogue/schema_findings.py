"""Pydantic's validation errors as findings: each at the file and line of its key, naming the
measure it is under, with a hint (the nearest valid key for a typo, the values an enum takes)."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from kpiboard.catalogue.yamlfile import Loc, LocatedYaml
from kpiboard.errors import Finding


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return current
        current = _unwrap(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Find the BaseModel inside list[...] / X | None annotations."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    for arg in typing.get_args(annotation):
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    if origin in (typing.Union, types.UnionType):
        return None
    return None


def _subject(doc: LocatedYaml, loc: Loc) -> str | None:
    """The measure id for a location under ``measures: [...]``."""
    if len(loc) >= 2 and loc[0] == "measures" and isinstance(loc[1], int):
        items = doc.data.get("measures") if isinstance(doc.data, dict) else None
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            mid = items[loc[1]].get("id")
            return str(mid) if mid is not None else f"measures[{loc[1]}]"
    return None


def validation_findings(
    exc: ValidationError, doc: LocatedYaml, model: type[BaseModel], display: str
) -> list[Finding]:
    """Pydantic errors -> findings with file:line and a hint (nearest key for typos)."""
    out: list[Finding] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # union members and "after" validators add non-key parts; keep only real path parts
        path: Loc = tuple(
            p for p in loc if isinstance(p, int) or not str(p).startswith(("function-", "tagged-"))
        )
        # the hint a period parser gave (schema.InvalidValue), the key a model check is about
        # (schema.AtKey), if any
        error = err.get("ctx", {}).get("error")
        hint: str | None = getattr(error, "hint", None)
        line = doc.line_of((*path, *getattr(error, "at", ())))
        key = path[-1] if path else None
        if err["type"] == "extra_forbidden" and key is not None:
            owner = _model_at(model, path[:-1])
            valid = sorted(owner.model_fields) if owner else []
            near = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
            hint = (
                f"did you mean {near[0]!r}?"
                if near
                else ("valid keys: " + ", ".join(valid) if valid else None)
            )
            message = f"unknown key {key!r}"
        elif err["type"] == "missing":
            message = f"missing required key {key!r}"
        else:
            # under measures[i] the finding's subject already names the measure
            inner = path[2:] if _subject(doc, path) is not None else path
            field_name = ".".join(str(p) for p in inner if not isinstance(p, int))
            msg = err["msg"].removeprefix("Value error, ")
            message = f"{field_name}: {msg}" if field_name else msg
            if err["type"] == "enum":
                expected = err.get("ctx", {}).get("expected")
                hint = f"expected {expected}" if expected else None
        out.append(Finding("error", message, display, line, _subject(doc, path), hint))
    # pydantic reports in the order fields are declared; people read files top to bottom
    return sorted(out, key=lambda f: f.line or 0)
