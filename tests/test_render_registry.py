"""The renderer registry: built-ins, extensions, errors, and the layering rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fixtures.scorecard_fixture import sample_scorecard

import kpiboard.render as render_pkg
from kpiboard.errors import KpiboardError
from kpiboard.render import FORMATS, RENDERERS, RenderOptions, register, render, unregister
from kpiboard.scorecard import Scorecard

BUILT_INS = ["table", "json", "csv", "md", "html"]


def test_built_in_formats_are_registered_in_order() -> None:
    assert FORMATS[: len(BUILT_INS)] == BUILT_INS
    assert set(BUILT_INS) <= set(RENDERERS)


@pytest.mark.parametrize("fmt", BUILT_INS)
def test_every_format_returns_utf8_bytes(fmt: str) -> None:
    out = render(sample_scorecard(), fmt)
    assert isinstance(out, bytes)
    assert out.decode("utf-8").strip()


def test_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(KpiboardError) as info:
        render(sample_scorecard(), "pdf")
    message = str(info.value)
    assert "'pdf'" in message
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
    "kpiboard.vocabulary",
    "kpiboard.errors",
    "kpiboard.render",
)


def test_render_imports_only_the_scorecard_layer() -> None:
    package = Path(render_pkg.__file__).parent
    offenders: list[str] = []
    for path in sorted(package.glob("*.py")):
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
