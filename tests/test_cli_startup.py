"""The command line imports only what a command uses: ``kpiboard --help`` none of the
warehouse, renderers or web stack, and the data commands not the web stack (unless the
project has a dashboard database to read or announcements to send)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpiboard.cli import COMMANDS, app

ROOT = Path(__file__).resolve().parent.parent
WEB_STACK = ("sqlalchemy", "alembic", "argon2", "fastapi", "starlette", "httpx", "uvicorn")
DATA_STACK = ("ibis", "duckdb", "pyarrow", "pandas", "numpy", "jinja2", "weasyprint", "openpyxl")


def _imported_by(args: list[str]) -> set[str]:
    """The top-level packages loaded by running ``kpiboard ARGS`` in a fresh interpreter."""
    script = (
        "import sys\n"
        "from kpiboard.cli import app\n"
        "try:\n"
        f"    app({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(done.stderr.strip().splitlines()[-1].split())


def test_help_imports_neither_the_data_nor_the_web_stack() -> None:
    loaded = _imported_by(["--help"])
    assert not loaded & {*WEB_STACK, *DATA_STACK}, sorted(loaded & {*WEB_STACK, *DATA_STACK})


def test_report_without_a_dashboard_database_imports_no_web_stack(tmp_path: Path) -> None:
    project = tmp_path / "met"
    # without .kpiboard: a dashboard database left by a demo run would rightly load the web stack
    shutil.copytree(
        ROOT / "examples" / "met-cpa-2009-10", project, ignore=shutil.ignore_patterns(".kpiboard")
    )
    loaded = _imported_by(["report", str(project), "--as-of", "2009-08"])
    assert "duckdb" in loaded  # it did run the report
    assert not loaded & set(WEB_STACK), sorted(loaded & set(WEB_STACK))


def _paragraph(text: str | None) -> str:
    return " ".join((text or "").split("\n\n")[0].split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_summary_is_the_commands_own_help(name: str) -> None:
    real = COMMANDS[name].load(name)
    assert _paragraph(real.help) == _paragraph(COMMANDS[name].summary)


def test_an_unknown_command_is_refused_with_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["reprot"])
    assert result.exit_code == 2
    assert re.search(r"Did you mean 'report'", result.output)
