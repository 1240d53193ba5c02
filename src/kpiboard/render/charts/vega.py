"""Vega-Lite specs drawn to static SVG by vl-convert (no JavaScript, no CDN: the SVG is inlined
in a page or written as a file), slimmed, and labelled as one image for assistive technology.
Every chart kpiboard draws (SPC, trend, league bars, funnel) goes through here."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html import escape
from typing import Any

import vl_convert

VL_VERSION = "6.4"  # pinned so a vl-convert upgrade does not silently restyle the charts
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # names the spec; never fetched
# vl-convert lays text out with the first of these it finds. DejaVu Sans and Verdana are
# among the widest common sans fonts, so text measured in one and shown in another (or in
# Arial) never overlaps its neighbours; bare "sans-serif" is measured narrower than browsers
# draw it.
FONT = "'DejaVu Sans', Verdana, Arial, sans-serif"


_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")
_NOISE = re.compile(r' (?:class|pointer-events|aria-hidden|role|aria-roledescription)="[^"]*"')
_ATTRIBUTE = re.compile(r'(\s[\w:-]+=")([^"]*)(")')
_LONG_DECIMAL = re.compile(r"(\d\.\d\d)\d+")


def chart_svg(spec: dict[str, Any]) -> str:
    """The spec drawn as a static SVG string (cached: the same spec is drawn once)."""
    return _svg(json.dumps(spec, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=256)
def _svg(spec_json: str) -> str:
    svg = vl_convert.vegalite_to_svg(json.loads(spec_json), vl_version=VL_VERSION)
    return _slim(svg)


def _slim(svg: str) -> str:
    """A third smaller, drawn the same: no per-mark class/role attributes (dead weight once
    the whole SVG is one image), the font named once on the root instead of on every text,
    and coordinates to 1/100 px. Only attribute values change, never text content."""
    svg = _NOISE.sub("", svg)
    font = f' font-family="{escape(FONT, quote=False)}"'
    if font in svg:
        svg = svg.replace(font, "")
        svg = _SVG_OPEN.sub(lambda m: f"<svg{m.group(1)}{font}>", svg, count=1)
    return _ATTRIBUTE.sub(
        lambda m: m.group(1) + _LONG_DECIMAL.sub(r"\1", m.group(2)) + m.group(3), svg
    )


def labelled_svg(svg: str, label: str) -> str:
    """``svg`` as one image for assistive technology: role="img", aria-label and a <title>
    (the tooltip). ``label`` is escaped here."""
    text = escape(label, quote=True)
    match = _SVG_OPEN.search(svg)
    if match is None:
        raise ValueError("not an SVG document")
    attrs = re.sub(r'\s(?:role|aria-label|focusable)="[^"]*"', "", match.group(1))
    opening = f'<svg{attrs} role="img" aria-label="{text}" focusable="false">'
    return svg[: match.start()] + opening + f"<title>{text}</title>" + svg[match.end() :]
