"""How a league table's funnel plot allows for over-dispersion: the method asked for, the one
its limits were drawn with, and the figures behind that choice (Spiegelhalter 2005, "Handling
over-dispersion of performance indicators", Qual Saf Health Care 14:347-351). Part of the
frozen hand-off between the engine (``engine/overdispersion.py`` computes every figure) and the
renderers, which only print ``text``; standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FunnelMethod(StrEnum):
    """The funnel's limits: widened by a between-member variance tau² (additive random
    effects, the default), by the factor sqrt(phi) (multiplicative), or plain Poisson."""

    ADDITIVE = "additive"
    MULTIPLICATIVE = "multiplicative"
    POISSON = "poisson"


@dataclass(frozen=True)
class Overdispersion:
    """The over-dispersion of the members' figures about the funnel's centre.

    ``phi`` is the mean of the squared z-scores after winsorising them at their 10th and
    90th percentiles (``z_low``, ``z_high``); the members are over-dispersed when
    ``members`` x phi > ``members`` - 1, and only then are the limits adjusted (``method`` is
    then ``asked``, else POISSON). ``tau`` is the DerSimonian-Laird between-member standard
    deviation on the z-scores' scale (0 when not over-dispersed). ``text`` names the limits
    drawn, as every output prints it."""

    asked: FunnelMethod
    method: FunnelMethod  # the limits drawn
    members: int
    phi: float
    tau: float
    z_low: float  # the winsorising bounds: the z-scores' 10th and 90th percentiles
    z_high: float
    overdispersed: bool  # members x phi > members - 1
    text: str  # "95% and 99.8% limits, adjusted for overdispersion (...)"
