"""`--warehouse URL` on ingest, report, serve, vintages and spc: one run against another warehouse
than the project's `warehouse:` setting, the project's own left untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpiboard.catalogue import load_catalogue
from kpiboard.cli import app
from kpiboard.cli.common import load_project, warehouse_option
from kpiboard.errors import UsageError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"


@pytest.fixture
def met(tmp_path: Path) -> Path:
    root = tmp_path / "met"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    return root


def _report(args: list[str]) -> dict[str, object]:
    done = CliRunner().invoke(app, ["report", *args, "--as-of", "2009-08", "--format", "json"])
    assert done.exit_code == 0, done.output
    return dict(json.loads(done.stdout))


def test_a_relative_duckdb_file_is_the_current_folders(
    met: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    done = CliRunner().invoke(app, ["ingest", str(met), "--warehouse", "other.duckdb"])
    assert done.exit_code == 0, done.output
    assert (elsewhere / "other.duckdb").is_file()
    assert not (met / ".kpiboard" / "warehouse.duckdb").exists()  # the project's is untouched
    assert f"duckdb://{elsewhere / 'other.duckdb'}" in done.output

    # the report reads the warehouse given (already ingested: it has the vintage) and equals
    # the one made in the project's own warehouse
    other = _report([str(met), "--warehouse", "other.duckdb"])
    assert not (met / ".kpiboard" / "warehouse.duckdb").exists()
    own = _report([str(met)])
    assert (met / ".kpiboard" / "warehouse.duckdb").is_file()
    assert other == own


def test_the_option_replaces_the_yaml_setting(met: Path, tmp_path: Path) -> None:
    config = met / "kpiboard.yaml"
    config.write_text(config.read_text() + f"warehouse: {tmp_path / 'yaml.duckdb'}\n")
    given = tmp_path / "given.duckdb"
    assert load_catalogue(met).project.warehouse == str(tmp_path / "yaml.duckdb")
    assert load_project(met, str(given)).project.warehouse == str(given)
    assert load_project(met, None).project.warehouse == str(tmp_path / "yaml.duckdb")
    # not a file path: passed on as written
    assert warehouse_option("postgres://u@127.0.0.1:5/db") == "postgres://u@127.0.0.1:5/db"
    assert warehouse_option("local[2]") == "local[2]"


def test_an_empty_url_is_a_usage_error(met: Path) -> None:
    with pytest.raises(UsageError, match="--warehouse: empty URL"):
        warehouse_option("  ")
    done = CliRunner().invoke(app, ["report", str(met), "--warehouse", ""])
    assert done.exit_code == 2
    assert "--warehouse: empty URL" in done.output


def test_the_vintages_listed_are_the_given_warehouses(met: Path, tmp_path: Path) -> None:
    given = str(tmp_path / "given.duckdb")
    _run_ok(["ingest", str(met), "--warehouse", given])
    listed = json.loads(_run_ok(["vintages", str(met), "--format", "json", "--warehouse", given]))
    assert [v["id"] for v in listed] == [1]
    own = json.loads(_run_ok(["vintages", str(met), "--format", "json"]))
    assert own == []  # the project's own warehouse: made empty, nothing ingested


def _run_ok(args: list[str]) -> str:
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    return done.stdout


def test_each_warehouse_command_offers_the_option() -> None:
    for command in ("ingest", "report", "serve", "vintages", "spc"):
        done = CliRunner().invoke(app, [command, "--help"])
        assert "--warehouse" in done.output, command


def test_the_dashboard_keeps_the_warehouse_it_was_given(met: Path, tmp_path: Path) -> None:
    from kpiboard.web.service import ScorecardService

    given = tmp_path / "dashboard.duckdb"
    service = ScorecardService.open(met, str(given))
    try:
        assert given.is_file()  # ingested there, not into the project's own file
        assert not (met / ".kpiboard" / "warehouse.duckdb").exists()
        assert service.vintage == 1
        (met / "data" / "roads.csv").write_text((met / "data" / "roads.csv").read_text() + "\n")
        service.reload()  # re-reads the YAML: the warehouse stays the one it was given
        assert service.catalogue.project.warehouse == str(given)
        assert not (met / ".kpiboard" / "warehouse.duckdb").exists()
    finally:
        service.close()
