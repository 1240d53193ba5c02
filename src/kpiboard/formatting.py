"""Numbers as a board paper writes them. Output-neutral text used inside the Scorecard.

Units: ``"%"`` (49.3%), ``"pts"`` (5.5 pts), a currency prefix such as ``"£m"`` (£43.8m),
``""`` (2,500) or any other word, written after the number (8 systems).
"""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = ("£", "$", "€")
MINUS = "-"  # an ASCII hyphen-minus: copies cleanly into Excel and e-mail


def round_half_up(value: float, decimals: int) -> float:
    """Round as people do (2.25 -> 2.3), not banker's rounding; robust to binary fractions."""
    if not math.isfinite(value):
        return value
    factor = 10**decimals
    scaled = value * factor
    # nudge by a relative epsilon so that 0.285 (stored as 0.28499999...) rounds up
    nudged = scaled + math.copysign(1e-9 * max(1.0, abs(scaled)), scaled)
    return float(math.floor(abs(nudged) + 0.5) * math.copysign(1, nudged) / factor)


def decimals_of(value: float) -> int:
    """The decimals a figure was written with: 45 -> 0, 3.75 -> 2, 51.4 -> 1 (so a target is
    shown as its author wrote it)."""
    text = repr(float(value)).rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


def number(value: float, decimals: int = 0) -> str:
    """``2,516``; ``49.3``; thousands separators; ``-`` for negatives."""
    rounded = round_half_up(value, decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0.0"
    text = f"{abs(rounded):,.{decimals}f}"
    return f"{MINUS}{text}" if rounded < 0 else text


def with_unit(value: float, unit: str, decimals: int = 0) -> str:
    """``49.3%``, ``£43.8m``, ``5.5 pts``, ``2,500``, ``8 systems``."""
    if unit and unit[0] in CURRENCY_SYMBOLS:
        text = number(abs(value), decimals)
        sign = MINUS if round_half_up(value, decimals) < 0 else ""
        return f"{sign}{unit[0]}{text}{unit[1:]}"
    text = number(value, decimals)
    if unit == "%":
        return f"{text}%"
    if unit:
        return f"{text} {unit}"
    return text


def signed(value: float, unit: str, decimals: int = 0) -> str:
    """``+0.5%``, ``-1,527``, ``+1.7 pts``: an explicit sign for changes."""
    text = with_unit(value, unit, decimals)
    if round_half_up(value, decimals) > 0:
        return "+" + text
    return text


def percent_change(value: float, decimals: int = 1) -> str:
    return signed(value, "%", decimals)


def ratio_to_one(value: float, decimals: int = 1) -> str:
    """``0.6 : 1`` as the reference writes a ratio."""
    return f"{number(value, decimals)} : 1"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 42nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank: int, of: int, tied: bool = False) -> str:
    """A rank as the board reads it; a rank shared with another member says so.

    >>> rank_text(14, 42), rank_text(3, 43, tied=True)
    ('14th/42', '=3rd/43')
    """
    return f"{'=' if tied else ''}{ordinal(rank)}/{of}"
