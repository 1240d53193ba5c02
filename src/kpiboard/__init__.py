"""kpiboard: KPI definitions and performance data in, the board scorecard out."""

__version__ = "0.1.0"
