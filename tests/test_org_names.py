"""The organisation-name lookup the record readers share: each name resolved once, names set
aside matched by the reader's own key, and the hint for an unknown name."""

from __future__ import annotations

from pathlib import Path

from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.ingest.org_names import OrgLookup
from kpiboard.ingest.table_files import column_key

PROJECT_YAML = """\
title: Names
organisation: WYP
organisations:
  - id: WYP
    name: West Yorkshire
    aliases: [West Yorkshire Police]
"""


def catalogue(tmp_path: Path) -> Catalogue:
    (tmp_path / "measures").mkdir()
    (tmp_path / "kpiboard.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    (tmp_path / "measures" / "m.yaml").write_text(
        "measures:\n  - id: m\n    title: M\n    kind: count\n"
    )
    return load_catalogue(tmp_path)


def test_names_resolve_once_each(tmp_path: Path) -> None:
    cat = catalogue(tmp_path)
    calls: list[str] = []
    resolve = cat.resolve_org
    cat.resolve_org = lambda text: calls.append(text) or resolve(text)  # type: ignore[method-assign]
    lookup = OrgLookup(cat, [], str.casefold)
    assert [lookup.resolve("West Yorkshire Police").org for _ in range(3)] == ["WYP"] * 3
    assert lookup.resolve("Narnia").unknown is not None and lookup.resolve("Narnia").org is None
    assert calls == ["West Yorkshire Police", "Narnia"]


def test_set_aside_names_match_by_the_readers_key(tmp_path: Path) -> None:
    cat = catalogue(tmp_path)
    police = OrgLookup(cat, ["British Transport Police"], lambda n: n.casefold().strip())
    tables = OrgLookup(cat, ["British Transport Police"], column_key)
    assert police.resolve(" british transport police ").aside == "British Transport Police"
    assert police.resolve("British_Transport_Police").aside is None
    assert tables.resolve("British_Transport_Police").aside == "British Transport Police"


def test_the_hint_for_an_unknown_name(tmp_path: Path) -> None:
    lookup = OrgLookup(catalogue(tmp_path), [], str.casefold)
    near = lookup.resolve("West Yorkshre Police")
    assert near.unknown is not None and near.unknown.hint is not None
    hint = near.hint()
    assert hint.startswith(near.unknown.hint) and hint.endswith("set_aside to skip its rows")
    assert lookup.resolve("West Yorkshire Police").hint().startswith("add the name")
