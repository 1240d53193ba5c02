"""A derived measure's formula: arithmetic over other measures, reduced to a numerator and an
optional denominator, each a sum of measures times constants.

A window's figure is then the sum of the numerator over the window divided by the sum of the
denominator over it (docs/CATALOGUE.md, "Derived measures"), never a mean of monthly ratios: so
a formula may add, subtract and scale measures, and divide once, at the top.

>>> f = parse_formula("(burglary + robbery) / crimes")
>>> [(t.coefficient, t.measure) for t in f.numerator], [t.measure for t in f.denominator or ()]
([(1.0, 'burglary'), (1.0, 'robbery')], ['crimes'])
>>> parse_formula("1000 * (a - 0.5 * b)").numerator
(Term(coefficient=1000.0, measure='a'), Term(coefficient=-500.0, measure='b'))
>>> parse_formula("a * b")
Traceback (most recent call last):
...
kpiboard.catalogue.formula.FormulaError: a product of two measures (a * b) has no meaning summed over a window; multiply a measure by a number only
>>> readable("100*(burglary + robbery)/crimes", {"crimes": "Total recorded crime [1]"}.get)
'100 × (burglary + robbery) ÷ Total recorded crime [1]'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9_.]*(?:-[A-Za-z0-9_.]+)*)"
    r"|(?P<op>[-+*/()]))"
)


class FormulaError(ValueError):
    """A formula that cannot be read or has no meaning over a window; the message says why."""


@dataclass(frozen=True)
class Term:
    """``coefficient`` x one measure's figures."""

    coefficient: float
    measure: str


@dataclass(frozen=True)
class Formula:
    """``numerator`` (and, when the formula divides, ``denominator``): sums of terms, one term
    per measure, in the order the measures first appear."""

    text: str
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...] | None = None

    @property
    def measures(self) -> tuple[str, ...]:
        """Every measure the formula reads, numerator's first, each once."""
        seen = [t.measure for t in (*self.numerator, *(self.denominator or ()))]
        return tuple(dict.fromkeys(seen))


# While parsing, a value is a number (float), a sum of measures (dict measure -> coefficient)
# or a quotient of two sums (_Quotient).
_Linear = dict[str, float]


@dataclass(frozen=True)
class _Quotient:
    num: _Linear
    den: _Linear


_Part = float | _Linear | _Quotient


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].strip()[:1]
            raise FormulaError(
                f"unexpected {bad!r} at character {pos + 1}: a formula uses measure ids, "
                "numbers, + - * / and brackets"
            )
        kind = match.lastgroup or "op"
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FormulaError("the formula ends too soon: a measure id or number is missing")
        self.i += 1
        return tok

    def expr(self) -> _Part:
        left = self.term()
        while (tok := self.peek()) is not None and tok[1] in "+-" and tok[0] == "op":
            self.take()
            right = self.term()
            left = _add(left, right, -1.0 if tok[1] == "-" else 1.0)
        return left

    def term(self) -> _Part:
        left = self.factor()
        while (tok := self.peek()) is not None and tok[1] in "*/" and tok[0] == "op":
            self.take()
            right = self.factor()
            left = _mul(left, right) if tok[1] == "*" else _div(left, right)
        return left

    def factor(self) -> _Part:
        kind, text = self.take()
        if kind == "number":
            return float(text)
        if kind == "name":
            return {text: 1.0}
        if text == "-":
            return _scale(self.factor(), -1.0)
        if text == "+":
            return self.factor()
        if text == "(":
            inner = self.expr()
            if self.peek() != ("op", ")"):
                raise FormulaError("a bracket is opened and never closed")
            self.take()
            return inner
        raise FormulaError(f"unexpected {text!r}: a measure id or number was expected")


def _scale(x: _Part, k: float) -> _Part:
    if isinstance(x, float):
        return x * k
    if isinstance(x, _Quotient):
        return _Quotient(_scale_linear(x.num, k), x.den)
    return _scale_linear(x, k)


def _scale_linear(x: _Linear, k: float) -> _Linear:
    return {m: c * k for m, c in x.items()}


def _show(x: _Part) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, _Quotient):
        return f"({_show(x.num)}) / ({_show(x.den)})"
    return " + ".join(m if c == 1 else f"{c:g} * {m}" for m, c in x.items())


def _add(a: _Part, b: _Part, sign: float) -> _Part:
    if isinstance(a, float) and isinstance(b, float):
        return a + sign * b
    if isinstance(a, float) or isinstance(b, float):
        raise FormulaError(
            "a number added to a measure has no unit; numbers may only multiply or divide"
        )
    if isinstance(a, _Quotient) or isinstance(b, _Quotient):
        raise FormulaError(
            "a formula divides once, as its last step: write (a + b) / c, not a / c + b / c "
            "(a sum of ratios is not a ratio of sums over a window)"
        )
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, 0.0) + sign * c
    return out


def _mul(a: _Part, b: _Part) -> _Part:
    if isinstance(a, float):
        return _scale(b, a)
    if isinstance(b, float):
        return _scale(a, b)
    raise FormulaError(
        f"a product of two measures ({_show(a)} * {_show(b)}) has no meaning summed over a "
        "window; multiply a measure by a number only"
    )


def _div(a: _Part, b: _Part) -> _Part:
    if isinstance(b, float):
        if b == 0:
            raise FormulaError("division by the number 0")
        return _scale(a, 1.0 / b)
    if isinstance(b, _Quotient) or isinstance(a, _Quotient):
        raise FormulaError(
            "a formula divides by measures once, at the top: one sum of measures over another "
            "(a ratio of ratios has no meaning summed over a window)"
        )
    if isinstance(a, float):
        raise FormulaError("a number divided by a measure has no meaning summed over a window")
    return _Quotient(a, b)


def _terms(x: _Linear, what: str) -> tuple[Term, ...]:
    terms = tuple(Term(c, m) for m, c in x.items() if c != 0)
    if not terms:
        raise FormulaError(f"the {what} cancels out to nothing")
    return terms


def parse_formula(text: str) -> Formula:
    """The formula ``text`` as a numerator and denominator; FormulaError saying what is wrong
    when it cannot be read or has no meaning over a window."""
    if not text or not text.strip():
        raise FormulaError("the formula is empty")
    parser = _Parser(text)
    part = parser.expr()
    if (extra := parser.peek()) is not None:
        raise FormulaError(f"unexpected {extra[1]!r} after a complete formula")
    if isinstance(part, float):
        raise FormulaError("the formula names no measure")
    if isinstance(part, _Quotient):
        return Formula(text, _terms(part.num, "numerator"), _terms(part.den, "denominator"))
    return Formula(text, _terms(part, "formula"))


_SHOWN = {"*": " × ", "/": " ÷ ", "+": " + ", "-": " − "}


def readable(text: str, name: Callable[[str], str | None]) -> str:
    """The formula ``text`` as a person reads it: each measure id as ``name`` gives it (the id
    itself where ``name`` gives None), × ÷ − for * / -, spaced, and the brackets as written."""
    out: list[str] = []
    prev: tuple[str, str] | None = None
    for kind, tok in _tokens(text):
        if kind == "name":
            out.append(name(tok) or tok)
        elif kind == "number" or tok in "()":
            out.append(tok)
        elif prev is None or (prev[0] == "op" and prev[1] != ")"):
            out.append("−" if tok == "-" else "")  # a sign, not an operation
        else:
            out.append(_SHOWN[tok])
        prev = (kind, tok)
    return "".join(out)
