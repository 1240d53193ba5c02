"""The engine: pure calculations from the catalogue and typed data to a frozen Scorecard.

It reads nothing itself: ``engine.needs`` says what a scorecard needs (an
:class:`~kpiboard.enginedata.EngineRequest`), the warehouse answers with
:class:`~kpiboard.enginedata.EngineData`, and ``kpiboard.assemble`` joins the two.
"""

from kpiboard.engine.build import build_scorecard

__all__ = ["build_scorecard"]
