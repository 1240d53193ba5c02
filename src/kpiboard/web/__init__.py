"""The web dashboard: `kpiboard serve` — scorecard pages, commentary with sign-off, published packs.

Sits beside the CLI, above the renderers: it reads Scorecards from the engine and never computes
a statistic itself. Its own state (users, commentary revisions, publications, the audit log)
lives in the application database (`kpiboard.web.db`), never in the warehouse.
"""
