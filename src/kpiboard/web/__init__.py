"""The web dashboard: `kpiboard serve` — scorecard pages, commentary with sign-off, published packs.

Sits beside the CLI, above the renderers: it reads Scorecards from the engine and never computes
a statistic itself. Its own state (users, commentary revisions, publications, the audit log)
lives in the application database (`kpiboard.web.db`), never in the warehouse.
"""

from pathlib import Path

#: The dashboard's SQLite file in a project, when ``dashboard: database`` does not name one.
#: Here, where importing it loads no database library: the command line asks whether the file
#: exists before it opens (and so imports) the application database.
DEFAULT_DB = Path(".kpiboard") / "app.sqlite3"
