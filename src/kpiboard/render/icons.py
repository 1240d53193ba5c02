"""Making Data Count's variation and assurance icons as small inline SVGs, drawn here.

Each icon is a ring in the MDC palette (common cause grey, improvement blue, concern orange,
neutral purple) around a letter, and is one image for assistive technology: ``role="img"``,
an ``aria-label`` and a ``<title>`` (the tooltip) with the words. The letter and marks carry
the meaning without colour:

- variation: common cause is a flat wavy line, no letter; special cause is H or L (higher or
  lower), with ``+`` for improvement and ``!`` for concern (neutral has neither);
- assurance: P (consistently meets the target), F (consistently misses it), ? (hit and miss).

Letters are drawn in a darker shade of the ring's hue, at least
:data:`kpiboard.render.html.MIN_CONTRAST` against the white fill (tested).

>>> 'aria-label="Special cause concern (higher)"' in variation_icon("concern_high", "Special cause concern (higher)")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

SIZE = 28  # CSS pixels; the viewBox is 32 x 32
FONT = "Arial, 'DejaVu Sans', Helvetica, sans-serif"


@dataclass(frozen=True)
class IconStyle:
    ring: str  # the MDC colour
    text: str  # the letter: the same hue, dark enough to read on white
    letter: str  # "" for the common-cause line
    mark: str  # "+" improvement, "!" concern, "" otherwise


# MDC palette. Rings are the published colours; letters are darker shades of the same hue.
GREY = IconStyle("#a6a6a6", "#595959", "", "")
IMPROVEMENT_BLUE, IMPROVEMENT_TEXT = "#00b0f0", "#00607f"
CONCERN_ORANGE, CONCERN_TEXT = "#e46c0a", "#9c4200"
NEUTRAL_PURPLE = "#7030a0"

VARIATION_STYLES: dict[str, IconStyle] = {
    "common_cause": GREY,
    "improvement_high": IconStyle(IMPROVEMENT_BLUE, IMPROVEMENT_TEXT, "H", "+"),
    "improvement_low": IconStyle(IMPROVEMENT_BLUE, IMPROVEMENT_TEXT, "L", "+"),
    "concern_high": IconStyle(CONCERN_ORANGE, CONCERN_TEXT, "H", "!"),
    "concern_low": IconStyle(CONCERN_ORANGE, CONCERN_TEXT, "L", "!"),
    "neutral_high": IconStyle(NEUTRAL_PURPLE, NEUTRAL_PURPLE, "H", ""),
    "neutral_low": IconStyle(NEUTRAL_PURPLE, NEUTRAL_PURPLE, "L", ""),
}
ASSURANCE_STYLES: dict[str, IconStyle] = {
    "consistent_pass": IconStyle(IMPROVEMENT_BLUE, IMPROVEMENT_TEXT, "P", ""),
    "consistent_fail": IconStyle(CONCERN_ORANGE, CONCERN_TEXT, "F", ""),
    "inconsistent": IconStyle(GREY.ring, GREY.text, "?", ""),
}
UNKNOWN = IconStyle("#8a8a8a", "#424242", "?", "")


def variation_icon(key: str, label: str | None = None) -> str:
    """The variation icon for ``key`` (``common_cause``, ``concern_high``...), labelled with
    ``label`` (the Scorecard's words for it)."""
    words = label or key.replace("_", " ")
    return _icon("variation", key, VARIATION_STYLES.get(key, UNKNOWN), words)


def assurance_icon(key: str, label: str | None = None) -> str:
    """The assurance icon for ``key`` (``consistent_pass``, ``consistent_fail``,
    ``inconsistent``)."""
    words = label or key.replace("_", " ")
    return _icon("assurance", key, ASSURANCE_STYLES.get(key, UNKNOWN), words)


def text_colours() -> dict[str, str]:
    """Every letter colour an icon draws on its white fill (for the contrast test)."""
    styles = {
        **{f"variation {k}": s for k, s in VARIATION_STYLES.items()},
        **{f"assurance {k}": s for k, s in ASSURANCE_STYLES.items()},
        "unknown": UNKNOWN,
    }
    return {name: style.text for name, style in styles.items()}


def _icon(kind: str, key: str, style: IconStyle, words: str) -> str:
    label = escape(words, quote=True)
    css_key = "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
    parts = [
        f'<svg class="mdc-icon mdc-{kind} mdc-{css_key}" viewBox="0 0 32 32" width="{SIZE}" '
        f'height="{SIZE}" role="img" aria-label="{label}" focusable="false">',
        f"<title>{label}</title>",
        f'<circle cx="16" cy="16" r="14" fill="#ffffff" stroke="{style.ring}" stroke-width="3"/>',
    ]
    if not style.letter:  # common cause: a flat, wavy run of points
        parts.append(
            f'<polyline points="7,17 11.5,14 16,18 20.5,14.5 25,16.5" fill="none" '
            f'stroke="{style.text}" stroke-width="2" stroke-linejoin="round"/>'
        )
    else:
        x = 13.5 if style.mark else 16
        parts.append(
            f'<text x="{x}" y="21.5" text-anchor="middle" font-family="{FONT}" '
            f'font-size="16" font-weight="700" fill="{style.text}">{style.letter}</text>'
        )
        if style.mark:
            parts.append(
                f'<text x="23.5" y="15.5" text-anchor="middle" font-family="{FONT}" '
                f'font-size="13" font-weight="700" fill="{style.text}">{style.mark}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
