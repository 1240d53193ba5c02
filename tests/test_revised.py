"""Revised since published / first reported (docs/VINTAGES.md): the baseline rule and the
vintage that made a change, as known answers; then end to end through the command line on a
copy of the Met example with a changed figure (real DuckDB files, a real application database
holding a published pack)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner, Result

import kpiboard.assemble
from kpiboard.assemble import Baseline, figure_revised, revision_baseline
from kpiboard.cli import app
from kpiboard.periods import parse_month
from kpiboard.scorecard import Figure
from kpiboard.vocabulary import ChangeKind, RevisedSince
from kpiboard.warehouse.changes import MEASURE, MonthChange, SubjectChanges
from kpiboard.warehouse.vintage_log import Vintage
from kpiboard.web.db.store import AppStore, Role

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"
AS_OF = "2009-08"
ORG = "metropolitan"
AUGUST = "metropolitan,msv,2009-08,1,1453,"  # the Met's most serious violence, Aug-09
runner = CliRunner()


# --- the baseline rule, known answers -----------------------------------------------------


def vintage(n: int, *changes: tuple[str, ChangeKind, str]) -> Vintage:
    subjects = [
        SubjectChanges(subject, MEASURE, (MonthChange(month, kind, 1),))
        for subject, kind, month in changes
    ]
    return Vintage(n, dt.datetime(2026, 1, n), "x", "0", (), 0, 0, tuple(subjects))


HISTORY = [
    vintage(1, ("msv", ChangeKind.ADDED, "2009-07")),
    vintage(2, ("msv", ChangeKind.ADDED, "2009-08")),
    vintage(3, ("msv", ChangeKind.REVISED, "2009-08")),
]
AUG = parse_month(AS_OF)


def test_the_baseline_is_the_first_vintage_that_reported_the_month() -> None:
    assert revision_baseline(HISTORY, AUG, 3) == Baseline(RevisedSince.FIRST_REPORTED, 2)
    assert revision_baseline(HISTORY, parse_month("2009-07"), 3) == Baseline(
        RevisedSince.FIRST_REPORTED, 1
    )


def test_a_published_pack_is_the_baseline() -> None:
    assert revision_baseline(HISTORY, AUG, 3, published=1) == Baseline(RevisedSince.PUBLISHED, 1)


def test_a_pack_published_after_the_vintage_shown_does_not_count() -> None:
    # report --vintage 2 considers only vintages up to 2
    assert revision_baseline(HISTORY, AUG, 2, published=3) == Baseline(
        RevisedSince.FIRST_REPORTED, 2
    )


def test_no_vintage_reported_the_month_no_baseline() -> None:
    assert revision_baseline(HISTORY, parse_month("2009-09"), 3) is None
    assert revision_baseline(HISTORY, AUG, 1) is None  # not yet reported at vintage 1


def test_a_figure_that_did_not_exist_or_is_for_another_period_is_not_revised() -> None:
    aug = Figure("1,453", 1453.0, "Aug-09", "2009-08")
    assert figure_revised(aug, Figure("1,777", 1777.0, "Aug-09", "2009-08"))
    assert not figure_revised(aug, aug)
    assert not figure_revised(None, aug)
    assert not figure_revised(aug, None)
    assert not figure_revised(Figure("1,400", 1400.0, "Jul-09", "2009-07"), aug)  # a newer one


# --- end to end through the command line --------------------------------------------------


def run(*args: str | Path, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def met(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(EXAMPLE, tmp_path / "met", ignore=shutil.ignore_patterns(".kpiboard"))
    )


def edit(root: Path, old: str, new: str) -> None:
    path = root / "data" / "crime.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def set_august(root: Path, figure: int, was: int = 1453) -> None:
    """Change the Met's most serious violence in August 2009 and ingest it: a vintage."""
    edit(root, f"metropolitan,msv,2009-08,1,{was},", f"metropolitan,msv,2009-08,1,{figure},")
    run("ingest", root)


def add_september(root: Path) -> None:
    """A new month after the report month, and nothing else: a vintage that revises nothing."""
    with (root / "data" / "crime.csv").open("a", encoding="utf-8") as fh:
        fh.write("metropolitan,msv,2009-09,1,1500,,,,,\n")
    run("ingest", root)


def report(root: Path, *extra: str) -> bytes:
    return run("report", root, "--as-of", AS_OF, "--format", "json", *extra).stdout_bytes


def row_of(report_json: bytes, measure: str = "msv") -> dict[str, Any]:
    [row] = [r for r in json.loads(report_json)["rows"] if r["measure"] == measure]
    return row  # type: ignore[no-any-return]


def revised_rows(report_json: bytes) -> dict[str, str]:
    out = {}
    for row in json.loads(report_json)["rows"]:
        for r in [row, *row["children"]]:
            if r["revised"] is not None:
                out[r["measure"]] = r["revised"]["text"]
    return out


def test_the_bar_an_old_vintage_reports_as_then_the_latest_marks_the_revision(
    met: Path,
) -> None:
    run("ingest", met)
    first = report(met)
    assert revised_rows(first) == {}
    set_august(met, 1777)
    assert report(met, "--vintage", "1") == first  # byte for byte, marks included
    latest = report(met)
    row = row_of(latest)
    assert row["latest"]["text"] == "+4.9%"  # the new figure (financial year to date)
    assert row["revised"] == {
        "since": "first_reported",
        "since_vintage": 1,
        "before": {**row_of(first)["latest"]},
        "after": row["latest"],
        "vintage": 2,
        "text": "revised since first reported: +0.5% → +4.9% (vintage 2)",
    }
    assert revised_rows(latest) == {"msv": row["revised"]["text"]}  # nothing else moved
    assert report(met, "--vintage", "2") == latest
    table = run("report", met, "--as-of", AS_OF, "--format", "md").stdout
    assert "**(revised since first reported: +0.5% → +4.9% (vintage 2))**" in table
    csv_text = run("report", met, "--as-of", AS_OF, "--format", "csv").stdout
    assert csv_text.splitlines()[0].endswith(",revised")
    assert "revised since first reported: +0.5% → +4.9% (vintage 2)" in csv_text


def publish_at(root: Path, pinned: int | None) -> None:
    """A pack of the Met's August published on the dashboard, pinned at vintage ``pinned``."""
    store = AppStore.open(
        AppStore.default_url(root, None),
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    try:
        approver = store.add_user("approver", "correct horse battery", Role.APPROVER)
        store.publish(
            ORG,
            AS_OF,
            scorecard_json="{}",
            pack_html="<p>pack</p>",
            data_version="v",
            commentary={},
            changes={},
            user=approver,
            vintage=pinned,
        )
    finally:
        store.close()


def test_a_pack_published_at_1_revised_at_3_after_a_vintage_2_that_revised_nothing(
    met: Path,
) -> None:
    run("ingest", met)
    publish_at(met, 1)
    add_september(met)  # vintage 2: the month after the report's, nothing revised
    assert revised_rows(report(met)) == {}
    set_august(met, 1777)  # vintage 3
    assert revised_rows(report(met)) == {
        "msv": "revised since published: +0.5% → +4.9% (vintage 3)"
    }
    assert revised_rows(report(met, "--vintage", "2")) == {}


def test_the_change_is_the_vintage_that_made_it_not_a_later_one(met: Path) -> None:
    run("ingest", met)
    publish_at(met, 1)
    set_august(met, 1777)  # vintage 2 revises
    add_september(met)  # vintage 3 adds a later month of the same measure
    assert revised_rows(report(met)) == {
        "msv": "revised since published: +0.5% → +4.9% (vintage 2)"
    }


def test_the_published_pack_is_the_baseline_not_the_first_report(met: Path) -> None:
    run("ingest", met)
    set_august(met, 1777)  # vintage 2
    publish_at(met, 2)  # the board was given +4.9%
    set_august(met, 1600, was=1777)  # vintage 3
    [text] = revised_rows(report(met)).values()
    assert text.startswith("revised since published: +4.9% → ") and text.endswith("(vintage 3)")
    assert revised_rows(report(met, "--vintage", "2")) == {}  # as published


def test_a_pack_published_before_packs_pinned_a_vintage_falls_back_to_first_reported(
    met: Path,
) -> None:
    run("ingest", met)
    publish_at(met, None)
    set_august(met, 1777)
    assert revised_rows(report(met)) == {
        "msv": "revised since first reported: +0.5% → +4.9% (vintage 2)"
    }


def counting_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the engine's scorecard builds behind every assembled scorecard."""
    calls: list[int] = []
    real: Callable[..., Any] = kpiboard.assemble.build_scorecard

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(kpiboard.assemble, "build_scorecard", counted)
    return calls


def test_the_default_report_costs_one_build_when_nothing_was_revised(
    met: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("ingest", met)
    builds = counting_builds(monkeypatch)
    report(met)
    assert len(builds) == 1  # one vintage: no baseline before it
    add_september(met)
    builds.clear()
    report(met)
    assert len(builds) == 1  # a later vintage that changed no month up to August
    set_august(met, 1777)
    builds.clear()
    report(met)
    assert len(builds) == 2  # the baseline's scorecard, to compare with
