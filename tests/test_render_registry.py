"""The renderer registry: built-ins, extensions, errors, and the layering rule."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixtures.scorecard_fixture import SAC_SPC, sample_scorecard

import kpiboard.render as render_pkg
from kpiboard.boardpack import PublishedPack
from kpiboard.errors import KpiboardError
from kpiboard.leaguetable import League, LeagueGroup, LeagueMeasure, LeagueRow
from kpiboard.render import (
    DOCUMENTS,
    FORMATS,
    LEAGUE,
    PACK,
    RENDERERS,
    SCORECARD,
    RenderOptions,
    register,
    render,
    unregister,
)
from kpiboard.scorecard import Organisation, Scorecard, SpcSeries

BUILT_INS = ["table", "json", "csv", "md", "html", "pdf", "xlsx", "csv-excel"]
BINARY = {"pdf", "xlsx"}  # files, not text


def test_built_in_formats_are_registered_in_order() -> None:
    assert FORMATS[: len(BUILT_INS)] == BUILT_INS
    assert set(BUILT_INS) <= set(RENDERERS)


@pytest.mark.parametrize("fmt", [f for f in BUILT_INS if f not in BINARY])
def test_every_text_format_returns_utf8_bytes(fmt: str) -> None:
    out = render(sample_scorecard(), fmt)
    assert isinstance(out, bytes)
    assert out.decode("utf-8").strip()


def test_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(KpiboardError) as info:
        render(sample_scorecard(), "docx")
    message = str(info.value)
    assert "'docx'" in message
    for fmt in BUILT_INS:
        assert fmt in message


def test_an_extension_registers_through_the_same_seam() -> None:
    seen: list[RenderOptions] = []

    def shout(scorecard: Scorecard, options: RenderOptions) -> bytes:
        seen.append(options)
        return scorecard.title.upper().encode()

    register("shout", shout)
    try:
        assert "shout" in FORMATS
        out = render(sample_scorecard(), "shout", width=33, color=True)
        assert out == b"2009/10 CRITICAL PERFORMANCE AREAS"
        assert seen == [RenderOptions(width=33, color=True)]
    finally:
        unregister("shout")
    assert "shout" not in FORMATS and "shout" not in RENDERERS


def test_registering_a_name_twice_needs_replace() -> None:
    original = RENDERERS["md"]
    with pytest.raises(KpiboardError, match="already registered"):
        register("md", original)
    register("md", original, replace=True)  # deliberate override is allowed
    assert RENDERERS["md"] is original
    assert FORMATS.count("md") == 1


@pytest.mark.parametrize("name", ["", "HTML", "1x", "a b", "x/y"])
def test_renderer_names_must_be_command_line_friendly(name: str) -> None:
    with pytest.raises(KpiboardError, match="invalid renderer name"):
        register(name, RENDERERS["json"])


def test_width_must_be_positive() -> None:
    with pytest.raises(KpiboardError, match="width"):
        render(sample_scorecard(), "table", width=0)


# render may use the scorecard, errors and its own modules; never the layers below the
# Scorecard (the engine computes, render only lays out) nor the CLI above it.
ALLOWED_KPIBOARD = (
    "kpiboard.scorecard",
    "kpiboard.executive",  # the executive summary a pack carries
    "kpiboard.boardpack",
    "kpiboard.leaguetable",  # the league table, beside the Scorecard
    "kpiboard.vocabulary",
    "kpiboard.errors",
    "kpiboard.render",
)


def test_render_imports_only_the_scorecard_layer() -> None:
    package = Path(render_pkg.__file__).parent
    offenders: list[str] = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("kpiboard") and not name.startswith(ALLOWED_KPIBOARD):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


# --- every document through the same seam -------------------------------------------------

BUILT_IN_PAIRS = {
    "scorecard": ["table", "json", "csv", "md", "html", "pdf", "xlsx", "csv-excel"],
    "league": ["table", "json", "csv", "md", "html", "pdf", "xlsx", "csv-excel"],
    "spc": ["json", "csv", "svg"],
    "pack": ["html", "pdf", "xlsx"],
}
MAGIC = {"pdf": b"%PDF-", "xlsx": b"PK"}  # how a binary format's bytes start (xlsx: a zip)


def _league() -> League:
    orgs = [Organisation(i, f"Force {i}") for i in "ABC"]
    rows = tuple(
        LeagueRow(n + 1, f"{n + 1}/3", org, value, f"{value:.1f}", org.id == "A", org.id == "B")
        for n, (org, value) in enumerate(zip(orgs, [5.0, 7.0, 9.0], strict=True))
    )
    return League(
        title="Crime rate: league table",
        measure=LeagueMeasure("rate", "Crime rate", "per 1,000", "lower_is_better", "2009/10"),
        period="2009/10",
        period_end="2010-03",
        as_of="2010-03",
        group=LeagueGroup("ew", "England & Wales", 3),
        rows=rows,
        pooled=7.0,
        pooled_text="7.0",
        mean_of_rates=7.0,
        mean_of_rates_text="7.0",
        organisation=orgs[0],
    )


def _pack() -> PublishedPack:
    when = datetime(2009, 9, 14, tzinfo=UTC)
    return PublishedPack(sample_scorecard(), "Alice Smith", "alice", when, "0123456789ab")


def _sample(document: str) -> object:
    samples: dict[str, object] = {
        "scorecard": sample_scorecard(),
        "league": _league(),
        "spc": SpcSeries("series", SAC_SPC, tuple(False for _ in SAC_SPC.points)),
        "pack": _pack(),
    }
    return samples[document]


def test_every_document_has_its_built_in_formats_in_order() -> None:
    assert {name: d.formats[: len(BUILT_IN_PAIRS[name])] for name, d in DOCUMENTS.items()} == (
        BUILT_IN_PAIRS
    )
    assert DOCUMENTS["scorecard"] is SCORECARD and SCORECARD.formats is FORMATS


@pytest.mark.parametrize(
    ("document", "fmt"),
    [(d, f) for d, formats in BUILT_IN_PAIRS.items() for f in formats],
    ids=lambda x: str(x),
)
def test_every_registered_pair_renders_bytes(document: str, fmt: str) -> None:
    out = DOCUMENTS[document].render(_sample(document), fmt)
    assert isinstance(out, bytes)
    if fmt in BINARY:
        assert out.startswith(MAGIC[fmt])
    else:
        assert out.decode("utf-8").strip()


@pytest.mark.parametrize("document", list(BUILT_IN_PAIRS))
def test_an_unknown_pair_is_the_same_error_for_every_document(document: str) -> None:
    with pytest.raises(KpiboardError) as info:
        DOCUMENTS[document].render(_sample(document), "docx")
    exc = info.value
    assert exc.message.startswith("unknown format 'docx'")
    assert exc.hint == f"choose one of: {', '.join(BUILT_IN_PAIRS[document])}"
    assert exc.field == "format"
    with pytest.raises(KpiboardError) as checked:
        DOCUMENTS[document].check("docx")
    assert str(checked.value) == str(exc)


def test_the_league_error_names_the_league_table() -> None:
    with pytest.raises(KpiboardError, match="unknown format 'docx' for a league table"):
        LEAGUE.render(_league(), "docx")


def test_a_new_format_for_any_document_is_one_registration() -> None:
    def title_page(pack: PublishedPack, options: RenderOptions) -> bytes:
        return f"{pack.scorecard.title} ({pack.signed_off_by})".encode()

    before = list(PACK.formats)
    PACK.register("docx", title_page)
    try:
        out = PACK.render(_pack(), "docx")
        assert out == b"2009/10 Critical Performance Areas (Alice Smith)"
        assert "docx" in PACK.formats and "docx" not in FORMATS
    finally:
        PACK.unregister("docx")
    assert PACK.formats == before
