"""The engine: pure rules from observations to the Scorecard."""

from kpiboard.engine.build import build_scorecard, scorecard_from_data

__all__ = ["build_scorecard", "scorecard_from_data"]
