"""The executive summary drafted from the figures (kpiboard.brief): known answers on the
reference scorecard, against a last pack altered one fact at a time."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from kpiboard.brief import draft_summary, labels
from kpiboard.cli.report import scorecard_of
from kpiboard.scorecard import Scorecard
from kpiboard.vocabulary import SummaryKind

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scorecard, Scorecard]:
    root = tmp_path_factory.mktemp("brief") / "met"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    return scorecard_of(root, "2009-08", None), scorecard_of(root, "2009-07", None)


def rows_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def visit(row: dict[str, Any]) -> None:
        out[row["measure"]] = row
        for child in row.get("children") or []:
            visit(child)

    for row in card["rows"]:
        visit(row)
    return out


def test_counts_against_the_last_pack(cards: tuple[Scorecard, Scorecard]) -> None:
    aug, jul = cards
    s = draft_summary(aug, jul.to_dict(), "the pack for Jul-09")
    assert s.since == "the pack for Jul-09" and s.since_as_of == "2009-07"
    first = s.lines[0]
    assert first.kind is SummaryKind.COUNTS and first.rows == ()
    # counted by hand from the reference scorecard's JSON: Aug-09 and Jul-09
    assert first.text == (
        "2 Red, 8 Amber and 7 Green of 17 KPIs with a status (the pack for Jul-09: 2 Red, "
        "7 Amber and 8 Green); 8 without one (tracked, in development or no data)."
    )


def test_moves_of_the_month(cards: tuple[Scorecard, Scorecard]) -> None:
    aug, jul = cards
    moved = [
        line for line in draft_summary(aug, jul.to_dict()).lines if line.kind is SummaryKind.MOVED
    ]
    # 4c went Green (Jul-09) to Amber (Aug-09); no other status changed
    assert [line.rows for line in moved] == [("assets_recovered",)]
    assert moved[0].text.startswith(
        "4c The value of the assets recovered (cash forfeiture orders and confiscation orders) "
        "moved to Amber from Green: £43.8m is £1.2m below the £45m target"
    )


def test_the_same_pack_again_says_only_the_counts(cards: tuple[Scorecard, Scorecard]) -> None:
    aug, _ = cards
    s = draft_summary(aug, aug.to_dict(), "the pack for Aug-09")
    assert [line.kind for line in s.lines] == [SummaryKind.COUNTS]
    assert ", the same as the pack for Aug-09;" in s.lines[0].text


def test_one_fact_changed_at_a_time(cards: tuple[Scorecard, Scorecard]) -> None:
    aug, _ = cards
    base = aug.to_dict()
    before = copy.deepcopy(base)
    rows = rows_of(before)
    rows["satisfaction_gap"]["status"] = "green"  # 2b: Red now
    rows["knife_crime"]["spc"]["variation"] = "common_cause"  # 3b: special cause now
    rows["confidence_asb"]["significance"]["significant"] = False  # 1a: significant now
    ew = next(r for r in rows["user_satisfaction"]["ranks"] if r["group_id"] == "ew")
    ew["rank"], ew["text"] = 40, "40th/42"  # 2a: 42nd/42 now
    msf = next(r for r in rows["confidence_good_job"]["ranks"] if r["group_id"] == "msf")
    msf["rank"], msf["text"] = 3, "3rd/4"  # 1b: 1st/4 now
    s = draft_summary(aug, before, "the pack for Aug-09")
    said = [(line.kind, line.rows, line.text) for line in s.lines[1:]]
    names = labels(aug)
    assert said == [
        (
            SummaryKind.MOVED,
            ("satisfaction_gap",),
            f"{names['satisfaction_gap']} moved to Red from Green: "
            "5.5 pts is 1.7 pts above the 3.8 pts target, more than the +/-1.6 pts margin of "
            "error: the target is being missed.",
        ),
        (
            SummaryKind.SIGNAL,
            ("knife_crime",),
            "3b The number of knife crimes per 1,000 population: special cause improvement "
            "(lower) (7 points in a row below the mean).",
        ),
        (
            SummaryKind.SIGNIFICANT,
            ("confidence_asb",),
            "1a Confidence in local policing: the rise from 46.1% (12 months to Mar-08) to "
            "49.3% is statistically significant.",
        ),
        (
            SummaryKind.RANK,
            ("confidence_good_job",),
            f"{names['confidence_good_job']}: 1st/4 in {msf['group']}, up from 3rd/4.",
        ),
        (
            SummaryKind.RANK,
            ("user_satisfaction",),
            f"{names['user_satisfaction']}: 42nd/42 in {ew['group']}, down from 40th/42.",
        ),
    ]
    # the counts follow the altered status: one fewer Red, one more Green than now
    assert "(the pack for Aug-09: 1 Red, 8 Amber and 8 Green)" in s.lines[0].text


def test_a_first_pack_lists_the_exceptions(cards: tuple[Scorecard, Scorecard]) -> None:
    aug, _ = cards
    s = draft_summary(aug, None)
    assert s.since is None and s.since_as_of is None
    rows = rows_of(aug.to_dict())
    by_kind: dict[SummaryKind, list[str]] = {}
    for line in s.lines[1:]:
        by_kind.setdefault(line.kind, []).extend(line.rows)
    ordered = list(rows)  # depth first, as the scorecard lists them
    reds = [m for m in ordered if rows[m]["status"] == "red"]
    ambers = [m for m in ordered if rows[m]["status"] == "amber"]
    assert by_kind[SummaryKind.MOVED] == reds + ambers
    special = [
        m for m in ordered if rows[m]["spc"] and rows[m]["spc"]["variation"] != "common_cause"
    ]
    assert by_kind[SummaryKind.SIGNAL] == special
    significant = [
        m for m in ordered if rows[m]["significance"] and rows[m]["significance"]["significant"]
    ]
    assert by_kind[SummaryKind.SIGNIFICANT] == significant
    assert SummaryKind.RANK not in by_kind and SummaryKind.IMPROVED not in by_kind
    # a board's sentences: no p-values and no test names (they stay in the detail)
    for line in s.lines:
        assert not re.search(r"\bp [=<]|z-test|Poisson", line.text), line.text


def test_breakdowns_are_named_with_their_kpi(cards: tuple[Scorecard, Scorecard]) -> None:
    names = labels(cards[0])
    assert names["classa_cocaine"] == "4d: and of these, the number for cocaine (inc. crack)"
    assert names["robbery"] == "4a: Robbery"
    assert names["user_satisfaction"] == "2a User satisfaction with overall service"
