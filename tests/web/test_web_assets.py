"""The dashboard's own assets: vendored files are what VENDORED.md says, colours meet WCAG AA."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from kpiboard import web

STATIC = Path(web.__file__).parent / "static"
MIN_CONTRAST = 4.5  # WCAG 2.1 AA, normal text


def test_vendored_files_match_their_recorded_hashes() -> None:
    table = (STATIC / "VENDORED.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \|.*\| ([0-9a-f]{64}) \|$", table, flags=re.M)
    assert rows
    for name, digest in rows:
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _pairs() -> list[tuple[str, str, str]]:
    css = (STATIC / "kpiboard.css").read_text()
    text = dict(re.findall(r"--([a-z]+)-text: (#[0-9a-f]{6})", css))
    bg = dict(re.findall(r"--([a-z]+)-bg: (#[0-9a-f]{6})", css))
    assert set(text) == set(bg) and len(text) >= 10
    return [(name, text[name], bg[name]) for name in sorted(text)]


@pytest.mark.parametrize("name, fg, bg", _pairs())
def test_every_colour_pair_meets_wcag_aa(name: str, fg: str, bg: str) -> None:
    assert contrast(fg, bg) >= MIN_CONTRAST, name


def test_contrast_formula_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_links_on_tinted_rows_meet_aa() -> None:
    css = (STATIC / "kpiboard.css").read_text()
    link = re.search(r"--link-text: (#[0-9a-f]{6})", css)
    assert link
    for tint in ("#f7f7f7", "#e8f5e9", "#fff3e0", "#ffebee", "#f5f5f5", "#eceff1"):
        assert contrast(link.group(1), tint) >= MIN_CONTRAST, tint
