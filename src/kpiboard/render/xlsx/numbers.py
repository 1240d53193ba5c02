"""Excel number formats from the unit and decimal places the engine wrote with each figure, so
a cell shows what the figure's text says while holding the number.

Percentages are stored as fractions with a ``%`` format (Excel's way: 49.3% is 0.493), every
other unit as the number itself with the unit as literal text in the format.

>>> number_format("%", 1)
NumberFormat(divisor=100.0, code='0.0%')
>>> number_format("£m", 1).code, number_format("per 1,000", 2).code, number_format("", 0).code
('"£"#,##0.0"m"', '#,##0.00" per 1,000"', '#,##0')
>>> number_format("pts", 1, signed=True).code
'+0.0" pts";-0.0" pts";0.0" pts"'
>>> number_format("%", 1).cell(49.3) == 49.3 / 100
True
"""

from __future__ import annotations

from dataclasses import dataclass

CURRENCY = ("£", "$", "€")
PERCENT = "%"


@dataclass(frozen=True)
class NumberFormat:
    divisor: float  # the cell holds value / divisor (100 for a percentage)
    code: str  # the Excel number format

    def cell(self, value: float) -> float:
        """The number the cell holds for a figure's ``value`` (a percentage / 100, exactly as
        a reader divides it)."""
        return value / self.divisor if self.divisor != 1.0 else value


def _literal(text: str) -> str:
    return '"' + text.replace('"', "") + '"' if text else ""


def number_format(unit: str | None, decimals: int | None, *, signed: bool = False) -> NumberFormat:
    """The format of a figure written in ``unit`` with ``decimals`` places (None: 2)."""
    places = 2 if decimals is None else decimals
    digits = "0." + "0" * places if places else "0"
    unit = unit or ""
    # thousands separators for anything that is not a percentage or points
    grouped = "#,##" + digits
    if unit == PERCENT:
        code, divisor = f"{digits}%", 100.0
    elif unit[:1] in CURRENCY:
        code, divisor = f"{_literal(unit[0])}{grouped}{_literal(unit[1:])}", 1.0
    elif unit == "pts":
        code, divisor = f"{digits}{_literal(' pts')}", 1.0
    elif unit:
        code, divisor = f"{grouped}{_literal(' ' + unit)}", 1.0
    else:
        code, divisor = grouped, 1.0
    if signed:
        code = f"+{code};-{code};{code}"
    return NumberFormat(divisor, code)
