"""How a derived measure's figures are made, as the Scorecard carries it to every output: the
formula as its YAML writes it and as a person reads it (the measures' titles and row labels).

Standard library only, like the Scorecard that holds it (a Scorecard row's ``derived``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Derivation:
    """``formula``: "(burglary + robbery) / crimes * 100", as written; ``text``: "(Residential
    burglary [3] + Robbery [4]) ÷ Total recorded crime [1] × 100", the same with the measures'
    titles and row labels, for a person."""

    formula: str
    text: str
