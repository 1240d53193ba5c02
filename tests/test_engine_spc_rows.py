"""SPC and uncertainty in scorecard rows: which series, which target, which test, which status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from obs import monthly, obs, project

from kpiboard.assemble import assemble_scorecard
from kpiboard.engine.spc import spc
from kpiboard.engine.spc_row import SPC_MIN_POINTS, spc_from_result, status_from_spc
from kpiboard.engine.stats import poisson_rate_test, two_proportion_test
from kpiboard.periods import parse_month
from kpiboard.scorecard import Row
from kpiboard.vocabulary import Status

STEADY = [100, 104, 97, 101, 99, 103, 96, 102, 98, 100, 105, 95] * 3  # 36 months, no signal


def row(
    tmp_path: Path,
    measure: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    extra: list[dict[str, Any]] = (),
    as_of: str = "2009-08",
) -> Row:
    cat = project(tmp_path, [measure, *extra])
    card = assemble_scorecard(cat, obs(rows), parse_month(as_of))
    return next(r for r in card.all_rows() if r.measure == measure["id"])


COUNT = {
    "id": "c",
    "title": "C",
    "kind": "count",
    "polarity": "lower_is_better",
    "targets": [{"year": "2009/10", "level": 1260}],
}


def test_a_monthly_count_gets_its_spc_verdict_and_monthly_target(tmp_path: Path) -> None:
    r = row(tmp_path, COUNT, monthly("A", "c", "2006-09", STEADY))
    assert r.spc is not None
    assert r.spc.variation == "common_cause" and r.spc.rule == "common_cause"
    assert len(r.spc.points) == 36 and r.spc.points[-1].period == "2009-08"
    assert r.spc.period == "Sep-06 - Aug-09"
    assert r.spc.target == pytest.approx(1260 / 12)  # an annual count target, spread by month
    assert r.spc.assurance == "inconsistent"  # 105 a month sits inside the limits
    assert r.spc.mean == pytest.approx(sum(STEADY) / 36)
    assert r.status is Status.GREEN and r.status_from == "rag"  # the target still leads


def test_a_gap_ends_the_series_and_short_series_get_none(tmp_path: Path) -> None:
    values: list[float | None] = list(STEADY)
    values[-14] = None  # a missing month: the run ends 13 months before August
    r = row(tmp_path, COUNT, monthly("A", "c", "2006-09", values))
    assert r.spc is not None and len(r.spc.points) == 13
    monthly_measure = {**COUNT, "window": "month", "targets": []}
    short = row(
        tmp_path / "b", monthly_measure, monthly("A", "c", "2008-10", STEADY[: SPC_MIN_POINTS - 1])
    )
    assert short.latest is not None and short.spc is None
    enough = row(
        tmp_path / "c", monthly_measure, monthly("A", "c", "2008-09", STEADY[:SPC_MIN_POINTS])
    )
    assert enough.spc is not None and enough.spc.trial_limits  # too few points for settled limits


def test_status_from_spc_reads_concern_as_red(tmp_path: Path) -> None:
    rising = [*STEADY[:-3], 160, 165, 170]  # far above the limits at the end; lower is better
    r = row(tmp_path, {**COUNT, "status_from": "spc"}, monthly("A", "c", "2006-09", rising))
    assert r.spc is not None and r.spc.variation == "concern_high"
    assert r.spc.rule == "outside_limits_above"
    assert r.status is Status.RED and r.status_reason.startswith("SPC: Special cause concern")
    assert r.rag_status is not None  # the target's own verdict is kept beside it


def test_a_rows_block_is_spc_from_result_of_its_series(tmp_path: Path) -> None:
    r = row(tmp_path, COUNT, monthly("A", "c", "2006-09", STEADY))
    assert r.spc is not None
    result = spc(STEADY, direction="decrease", target=1260 / 12)
    periods = [p.period for p in r.spc.points]
    again = spc_from_result(
        result, periods, [p.label for p in r.spc.points], decimals=0, target_decimals=1
    )
    assert again == r.spc  # the measure's unit ("") and decimals, a count's target + 1 decimal
    assert (r.spc.mean_text, r.spc.target_text, r.spc.latest_text) == ("100.0", "105.0", "95")
    assert r.rag_reason and r.rag_status is Status.GREEN


def test_spc_from_result_without_a_measure() -> None:
    values = [1.25, 2.5, 1.75, 2.0, 1.5, 2.25, 1.0, 2.75, 1.5, 2.0, 1.75, 2.5, 9.0]
    days = [f"2020-01-{d:02d}" for d in range(2, 15)]
    result = spc(values, direction="increase", target=3.0, rebase_indices=[12])
    block = spc_from_result(result, days, days, unit="%", decimals=2)
    assert [p.period for p in block.points] == days and block.period == "2020-01-02 - 2020-01-14"
    assert [p.rebase_group for p in block.points] == [0] * 12 + [1]
    assert block.latest_text == "9.00%" and block.mean_text == "9.00%"
    assert block.lpl_text is None and block.upl_text is None  # a one-point group: no limits
    assert block.target_text == "3%"  # written as it was given
    assert block.trial_limits and "at 2020-01-14" in block.summary
    assert (
        "a month"
        not in spc_from_result(
            spc(values[:12], target=3.0), days[:12], days[:12], decimals=2
        ).summary
    )  # daily: no "a month"
    months = spc_from_result(
        spc(values[:12]), [f"2020-{m:02d}" for m in range(1, 13)], ["x"] * 12, decimals=1
    )
    assert months.period == "Jan - Dec 2020" and months.target_text is None
    assert months.mean_text == "1.9" and months.lpl_text is not None
    with pytest.raises(ValueError, match="12 periods and 11 labels for 12 points"):
        spc_from_result(spc(values[:12]), days[:12], days[:11], decimals=0)


def test_status_from_spc_mapping() -> None:
    from kpiboard.scorecard import Spc

    def block(variation: str, assurance: str | None) -> Spc:
        return Spc(
            variation,
            "v",
            assurance,
            None,
            "common_cause",
            "Common Cause",
            1.0,
            0.0,
            2.0,
            "increase",
            None,
            None,
            "Jan-09 - Dec-09",
            False,
            summary="s",
        )

    assert status_from_spc(block("improvement_high", "consistent_fail"))[0] is Status.GREEN
    assert status_from_spc(block("concern_low", "consistent_pass"))[0] is Status.RED
    assert status_from_spc(block("common_cause", "consistent_pass"))[0] is Status.GREEN
    assert status_from_spc(block("common_cause", "consistent_fail"))[0] is Status.RED
    assert status_from_spc(block("common_cause", "inconsistent"))[0] is Status.AMBER
    assert status_from_spc(block("common_cause", None))[0] is None
    assert status_from_spc(None)[0] is None


def test_both_keeps_the_target_status_and_adds_the_spc_verdict(tmp_path: Path) -> None:
    r = row(tmp_path, {**COUNT, "status_from": "both"}, monthly("A", "c", "2006-09", STEADY))
    assert r.status is Status.GREEN and "; SPC: Common cause variation" in r.status_reason


def test_a_count_change_is_tested_as_poisson_and_money_is_not(tmp_path: Path) -> None:
    r = row(tmp_path, COUNT, monthly("A", "c", "2006-09", STEADY[:24] + [130] * 12))
    expected = poisson_rate_test(1560, 1.0, sum(STEADY[12:24]), 1.0)
    assert r.significance is not None
    assert r.significance.p_value == pytest.approx(expected.p_value)
    assert r.significance.verdict == "statistically significant"
    assert "exact Poisson" in r.significance.text and "p < 0.001" in r.significance.text
    money = row(tmp_path / "b", {**COUNT, "unit": "£m"}, monthly("A", "c", "2006-09", STEADY))
    assert money.significance is None


def test_a_survey_change_is_a_two_proportion_test_with_a_wilson_interval(tmp_path: Path) -> None:
    m = {"id": "s", "title": "S", "kind": "proportion", "unit": "%", "decimals": 1, "survey": True}
    rows = [
        {
            "org": "A",
            "measure": "s",
            "period_end": p,
            "months": 12,
            "value": v,
            "sample_size": 3000.0,
        }
        for p, v in (("2008-03", 77.7), ("2009-03", 77.3))
    ]
    r = row(tmp_path, m, rows)
    expected = two_proportion_test(77.3, 3000, 77.7, 3000)
    assert r.significance is not None and r.significance.p_value == pytest.approx(expected.p_value)
    assert r.significance.text.startswith(
        "The fall from 77.7% (12 months to Mar-08) to 77.3% is within normal variation"
    )
    assert r.interval is not None and r.interval.low < 77.3 < r.interval.high
    assert r.spc is None  # a rolling-year estimate has no monthly series


def test_the_scorecard_carries_the_words_of_every_icon(tmp_path: Path) -> None:
    from fixtures.scorecard_fixture import SPC_KEY

    cat = project(tmp_path, [COUNT])
    card = assemble_scorecard(
        cat, obs(monthly("A", "c", "2006-09", STEADY)), parse_month("2009-08")
    )
    assert card.spc_key == SPC_KEY  # the renderers' fixture speaks the engine's words


def test_a_neutral_measure_with_a_target_has_it_drawn_and_no_assurance(tmp_path: Path) -> None:
    neutral = {**COUNT, "spc": {"direction": "neutral"}}
    r = row(tmp_path, neutral, monthly("A", "c", "2006-09", STEADY))
    assert r.spc is not None
    assert r.spc.target == pytest.approx(1260 / 12)  # drawn on the chart
    assert r.spc.assurance is None and r.spc.assurance_text is None
    assert r.spc.summary.endswith(
        "target 105.0 a month drawn, no assurance: a neutral measure has no better direction"
    )
