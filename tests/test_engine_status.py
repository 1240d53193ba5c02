"""Known answers for targets, status and its reason, ranks and movement facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from obs import monthly, obs, project

from kpiboard.assemble import assemble_scorecard
from kpiboard.errors import KpiboardError
from kpiboard.periods import parse_month
from kpiboard.scorecard import Row
from kpiboard.vocabulary import Status

AUG09 = parse_month("2009-08")


def row(
    tmp_path: Path,
    measure: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    extra: list[dict[str, Any]] = (),
    as_of: str = "2009-08",
    **settings: Any,
) -> Row:
    cat = project(tmp_path, [measure, *extra], **settings)
    card = assemble_scorecard(cat, obs(rows), parse_month(as_of))
    return next(r for r in card.all_rows() if r.measure == measure["id"])


LEVEL = {
    "id": "sd",
    "title": "SD rate",
    "kind": "proportion",
    "unit": "%",
    "decimals": 1,
    "window": "fytd",
}


def sd_rows(num: float, den: float = 1000.0) -> list[dict[str, Any]]:
    # five months Apr-Aug 2009 with the same rate, so the FYTD rate is num/den
    return [dict(r, denominator=den) for r in monthly("A", "sd", "2009-04", [num] * 5)]


@pytest.mark.parametrize(
    ("num", "status", "words"),
    [
        (320.0, Status.GREEN, "32.0% on the 32% target"),
        # 31.96% is published as 32.0%, which meets the target; the words say both
        (319.6, Status.GREEN, "31.96% (32.0% as published) meets the 32% target"),
        (
            300.0,
            Status.AMBER,
            "30.0% is 2.0 pts below the 32% target (6.3% short of the target level, within the 10% tolerance)",
        ),
        (
            280.0,
            Status.RED,
            "28.0% is 4.0 pts below the 32% target (12.5% short of the target level, beyond the 10% tolerance)",
        ),
    ],
)
def test_level_target_with_relative_tolerance(
    tmp_path: Path, num: float, status: Status, words: str
) -> None:
    r = row(tmp_path, {**LEVEL, "targets": [{"year": "2009/10", "level": 32}]}, sd_rows(num))
    assert r.status is status
    assert r.status_reason == words


def test_points_tolerance(tmp_path: Path) -> None:
    m = {
        **LEVEL,
        "targets": [{"year": "2009/10", "level": 32}],
        "status_rule": {"amber_within": {"points": 1.5}},
    }
    assert row(tmp_path, m, sd_rows(310.0)).status is Status.AMBER
    assert row(tmp_path / "b", m, sd_rows(300.0)).status is Status.RED


def test_change_target_is_assessed_as_a_level_on_the_comparator(tmp_path: Path) -> None:
    m = {
        "id": "msv",
        "title": "MSV",
        "kind": "count",
        "polarity": "lower_is_better",
        "window": "fytd",
        "targets": [{"year": "2009/10", "change": -4.3}],
    }
    rows = monthly("A", "msv", "2008-04", [200] * 5 + [0] * 7) + monthly(
        "A", "msv", "2009-04", [201] * 5
    )
    r = row(tmp_path, m, rows)
    assert r.latest is not None and r.latest.text == "+0.5%" and r.latest.period == "Apr - Aug 2009"
    assert r.latest.value == pytest.approx(0.5)
    assert r.level is not None and r.level.value == 1005
    assert (
        r.comparator is not None
        and r.comparator.value == 1000
        and r.comparator.period == "Apr - Aug 2008"
    )
    assert r.target is not None and r.target.text == "-4.3%" and r.target.value == -4.3
    # level 1,005 against 1,000 x 0.957 = 957: 5.0% short, within 10% -> amber
    assert r.status is Status.AMBER
    # the reason speaks of changes, and names the level the target implies as a level
    assert r.status_reason == (
        "+0.5% against a target of -4.3%: 4.8 points short of the reduction "
        "(the target level is 957; this year's 1,005 is 5.0% above it, within the 10% tolerance)"
    )


def test_change_target_with_a_points_tolerance_speaks_of_points_of_change(tmp_path: Path) -> None:
    m = {
        "id": "msv",
        "title": "MSV",
        "kind": "count",
        "polarity": "lower_is_better",
        "window": "fytd",
        "status_rule": {"amber_within": {"points": 3}},
        "targets": [{"year": "2009/10", "change": -5}],
    }
    rows = monthly("A", "msv", "2008-04", [200] * 5 + [0] * 7) + monthly(
        "A", "msv", "2009-04", [196] * 5
    )
    r = row(tmp_path, m, rows)
    assert r.status is Status.AMBER
    assert r.status_reason == (
        "-2.0% against a target of -5%: 3.0 points short of the reduction "
        "(within the 3 points tolerance)"
    )
    assert " pts" not in r.status_reason and "target level" not in r.status_reason


def test_strict_threshold_is_missed_when_equal(tmp_path: Path) -> None:
    m = {
        "id": "c",
        "title": "C",
        "kind": "count",
        "targets": [{"year": "2009/10", "level": 120, "op": ">"}],
    }
    assert row(tmp_path, m, monthly("A", "c", "2008-09", [10] * 12)).status is Status.AMBER
    assert (
        row(tmp_path / "b", m, monthly("A", "c", "2008-09", [10] * 11 + [11])).status
        is Status.GREEN
    )


def test_reduction_on_a_baseline_average(tmp_path: Path) -> None:
    m = {
        "id": "ksi",
        "title": "KSI",
        "kind": "count",
        "polarity": "lower_is_better",
        "targets": [
            {
                "years": ["2008/09", "2009/10"],
                "op": "<",
                "baseline_reduction": {"start": "1994-01", "end": "1998-12", "percent": 50},
            }
        ],
    }
    rows = [
        {"org": "A", "measure": "ksi", "period_end": f"{y}-12", "months": 12, "numerator": v}
        for y, v in zip(range(1994, 1999), (7000, 6800, 6600, 6500, 6300), strict=True)
    ]  # average 6,640
    rows += monthly("A", "ksi", "2008-04", [274] * 11 + [280])  # 3,294 in 2008/09
    r = row(tmp_path, m, rows)
    assert r.target is not None and r.target.value == pytest.approx(3320)
    assert r.target.text.startswith("< 3,320")
    assert (
        r.latest is not None and r.latest.value == 3294 and r.latest.period == "12 months to Mar-09"
    )
    # assessed against the 2008/09 target, the year its latest data fall in
    assert r.status is Status.GREEN
    assert any("baseline average of 6,640" in f for f in r.facts)


def test_a_baseline_with_a_gap_gives_no_status_and_says_why(tmp_path: Path) -> None:
    m = {
        "id": "ksi",
        "title": "KSI",
        "kind": "count",
        "polarity": "lower_is_better",
        "targets": [
            {
                "year": "2009/10",
                "baseline_reduction": {"start": "1994-01", "end": "1998-12", "percent": 50},
            }
        ],
    }
    rows = [
        {"org": "A", "measure": "ksi", "period_end": "1994-12", "months": 12, "numerator": 7000.0}
    ]
    rows += monthly("A", "ksi", "2008-09", [274] * 12)
    r = row(tmp_path, m, rows)
    assert r.status is None and "baseline" in r.status_reason


def test_no_status_when_the_latest_data_predate_the_target_year(tmp_path: Path) -> None:
    m = {
        "id": "conf",
        "title": "Confidence",
        "kind": "proportion",
        "unit": "%",
        "decimals": 1,
        "targets": [{"year": "2009/10", "level": 51.4}],
        "milestones": [{"by": "2011-03", "level": 55.4}],
    }
    rows = [
        {
            "org": "A",
            "measure": "conf",
            "period_end": "2009-03",
            "months": 12,
            "value": 49.3,
            "sample_size": 4000.0,
        }
    ]
    r = row(tmp_path, m, rows)
    assert r.status is None
    assert (
        r.status_reason == "Latest data (12 months to Mar-09) predate the 2009/10 target: no status"
    )
    assert r.target is not None and r.target.text == "51.4%"
    assert r.latest is not None and r.latest.text == "49.3%"
    assert [ms.text for ms in r.milestones] == ["55.4%"] and r.milestones[0].by_text == "Mar 2011"


def test_tracking_and_in_development(tmp_path: Path) -> None:
    rows = monthly("A", "t", "2008-09", [1] * 12)
    r = row(tmp_path, {"id": "t", "title": "T", "kind": "count", "tracking": True}, rows)
    assert r.status is None and r.target is not None and r.target.text == "Tracking measure"
    d = row(
        tmp_path / "b",
        {"id": "d", "title": "D", "kind": "count", "in_development": True},
        rows,
        extra=[{"id": "t", "title": "T", "kind": "count"}],
    )
    assert d.status is None and d.latest is None and "In development" in d.status_reason


def test_margin_of_error_rule_for_a_gap_between_two_surveys(tmp_path: Path) -> None:
    gap = {
        "id": "gap",
        "title": "Gap",
        "kind": "difference",
        "of": ["w", "b"],
        "unit": "pts",
        "decimals": 1,
        "polarity": "lower_is_better",
        "targets": [{"year": "2009/10", "level": 3.8}],
        "status_rule": {"amber_within": {"margin_of_error": True}},
    }
    extra = [
        {
            "id": "w",
            "title": "W",
            "kind": "proportion",
            "unit": "%",
            "survey": True,
            "hidden": True,
        },
        {
            "id": "b",
            "title": "B",
            "kind": "proportion",
            "unit": "%",
            "survey": True,
            "hidden": True,
        },
    ]

    def rows(nw: float, nb: float) -> list[dict[str, Any]]:
        return [
            {
                "org": "A",
                "measure": "w",
                "period_end": "2009-06",
                "months": 12,
                "value": 78.5,
                "sample_size": nw,
            },
            {
                "org": "A",
                "measure": "b",
                "period_end": "2009-06",
                "months": 12,
                "value": 73.0,
                "sample_size": nb,
            },
        ]

    big = row(tmp_path, gap, rows(9000, 4100), extra=extra)
    # 1.96 * sqrt(.785*.215/9000 + .73*.27/4100) = 1.60 pts < 1.7 pts shortfall
    assert big.margin_of_error is not None and big.margin_of_error.value == pytest.approx(
        1.600, abs=0.005
    )
    assert big.status is Status.RED
    assert "more than the +/-1.6 pts margin of error" in big.status_reason
    small = row(tmp_path / "b", gap, rows(2000, 900), extra=extra)
    assert small.status is Status.AMBER and "within the" in small.status_reason


def test_ranks_by_polarity_with_ties_sharing_the_better_rank(tmp_path: Path) -> None:
    m = {
        "id": "p",
        "title": "P",
        "kind": "proportion",
        "unit": "%",
        "decimals": 1,
        "survey": True,
        "ranks": {},
    }

    def rows(values: dict[str, float]) -> list[dict[str, Any]]:
        return [
            {
                "org": o,
                "measure": "p",
                "period_end": "2009-03",
                "months": 12,
                "value": v,
                "sample_size": 1000.0,
            }
            for o, v in values.items()
        ]

    r = row(tmp_path, m, rows({"A": 50.0, "B": 60.0, "C": 50.0}))
    assert [(x.rank, x.of, x.text) for x in r.ranks] == [(2, 3, "=2nd/3")]
    low = row(
        tmp_path / "b",
        {**m, "polarity": "lower_is_better"},
        rows({"A": 50.0, "B": 60.0, "C": 40.0}),
    )
    assert low.ranks[0].text == "2nd/3"
    assert low.ranks[0].group_value == pytest.approx(50.0)  # pooled over equal samples


def test_rank_period_is_the_latest_with_the_most_peers(tmp_path: Path) -> None:
    m = {"id": "c", "title": "C", "kind": "count", "window": "rolling_3", "ranks": {}}
    rows = (
        monthly("A", "c", "2009-01", [5] * 8)
        + monthly("B", "c", "2009-01", [9] * 7)
        + monthly("C", "c", "2009-01", [1] * 7)
    )
    r = row(tmp_path, m, rows)
    assert r.latest is not None and r.latest.period == "3 months to Aug-09"
    assert r.ranks[0].period == "3 months to Jul-09" and r.ranks[0].of == 3 and r.ranks[0].rank == 2


def test_movement_facts_for_a_rolling_total(tmp_path: Path) -> None:
    m = {
        "id": "assets",
        "title": "Assets",
        "kind": "count",
        "unit": "£m",
        "decimals": 1,
        "targets": [{"year": "2009/10", "level": 45}],
        "facts": ["drop_off", "monthly_average", "range", "forecast"],
    }
    values = (
        [3.0] * 4 + [12.0] + [4.0, 9.6, 3.0, 3.0, 3.0, 1.3, 3.0] + [2.0, 3.0, 3.0, 3.0, 2.0]
    )  # Apr-08..Aug-09
    r = row(tmp_path, m, monthly("A", "assets", "2008-04", values))
    assert r.latest is not None and r.latest.value == pytest.approx(sum(values[-12:]))
    assert r.drop_off is not None
    assert (r.drop_off.dropped_period, r.drop_off.dropped_value, r.drop_off.added_value) == (
        "Aug-08",
        12.0,
        2.0,
    )
    assert r.drop_off.previous_total == pytest.approx(sum(values[-13:-1]))
    assert r.monthly_average is not None and r.monthly_average.value == pytest.approx(13.0 / 5)
    assert r.monthly_average.target == pytest.approx(3.75) and r.monthly_average.text == "£2.60m"
    assert r.range_12 is not None and (r.range_12.low, r.range_12.high) == (1.3, 9.6)
    assert r.forecast is not None and r.forecast.value == pytest.approx(13.0 / 5 * 12)
    assert any("Aug-08 (£12.0m) dropped out" in f for f in r.facts)


def test_as_of_before_any_data_is_a_clear_error(tmp_path: Path) -> None:
    cat = project(tmp_path, [{"id": "c", "title": "C", "kind": "count"}])
    with pytest.raises(KpiboardError) as exc:
        assemble_scorecard(cat, obs(monthly("A", "c", "2008-04", [1] * 3)), parse_month("2007-01"))
    assert "before any data" in exc.value.message and "2008-04" in (exc.value.hint or "")


def test_a_zero_target_missed_is_red_not_a_crash(tmp_path: Path) -> None:
    m = {
        "id": "deaths",
        "title": "Deaths in custody",
        "kind": "count",
        "polarity": "lower_is_better",
        "targets": [{"year": "2009/10", "level": 0}],
    }
    assert row(tmp_path, m, monthly("A", "deaths", "2008-09", [0] * 12)).status is Status.GREEN
    missed = row(tmp_path / "b", m, monthly("A", "deaths", "2008-09", [0] * 11 + [1]))
    assert missed.status is Status.RED and "target of zero" in missed.status_reason


def test_seasonal_profile_spreads_the_target_like_earlier_years(tmp_path: Path) -> None:
    m = {
        "id": "c",
        "title": "C",
        "kind": "count",
        "window": "fytd",
        "profile": "seasonal",
        "targets": [{"year": "2009/10", "level": 1200}],
        "facts": ["monthly_average", "forecast"],
    }
    year = [60] * 5 + [100] * 7  # Apr-Aug are 30% of every earlier year
    rows = monthly("A", "c", "2006-04", year * 3 + [72] * 5)  # then Apr-Aug 2009 at 72 a month
    r = row(tmp_path, m, rows)
    avg, fc = r.monthly_average, r.forecast
    assert avg is not None and fc is not None
    assert avg.value == pytest.approx(72.0)
    assert avg.target == pytest.approx(1200 * 0.30 / 5)  # 72.0, where a flat profile says 100
    assert avg.profile == "seasonal profile (average monthly shares, 2006/07 to 2008/09)"
    assert fc.value == pytest.approx(360 / 0.30)  # on course for the 1,200, not 864
    flat = row(tmp_path / "flat", {**m, "profile": "flat"}, rows)
    assert flat.monthly_average.target == pytest.approx(
        100.0
    ) and flat.forecast.value == pytest.approx(864.0)


def test_seasonal_profile_without_an_earlier_complete_year_falls_back_to_flat(
    tmp_path: Path,
) -> None:
    m = {
        "id": "c",
        "title": "C",
        "kind": "count",
        "window": "fytd",
        "profile": "seasonal",
        "targets": [{"year": "2009/10", "level": 1200}],
    }
    r = row(tmp_path, m, monthly("A", "c", "2008-06", [100] * 15))  # 2008/09 lacks Apr-May
    assert r.monthly_average is not None and r.monthly_average.target == pytest.approx(100.0)
    assert r.monthly_average.profile.startswith("flat profile: no complete earlier year")


def test_year_start_comparator_sets_the_fourth_quarter_against_the_first(tmp_path: Path) -> None:
    m = {"id": "q", "title": "Q", "kind": "count", "window": "quarter", "comparator": "year_start"}
    rows = [
        {"org": "A", "measure": "q", "period_end": p, "months": 3, "numerator": v}
        for p, v in (("2017-06", 100.0), ("2017-09", 110.0), ("2017-12", 120.0), ("2018-03", 90.0))
    ]
    r = row(tmp_path, m, rows, as_of="2018-03")
    assert r.latest is not None and r.latest.period == "Q4 2017/18" and r.latest.value == 90
    assert (
        r.comparator is not None
        and r.comparator.period == "Q1 2017/18"
        and r.comparator.value == 100
    )
    assert r.change is not None and r.change.percent == pytest.approx(-10.0)
    first = row(tmp_path / "b", m, rows[:1], as_of="2017-06")
    assert first.comparator is None  # the first quarter has nothing earlier in its year


def test_a_rate_without_a_population_says_so(tmp_path: Path) -> None:
    m = {"id": "k", "title": "K", "kind": "per_population", "per": 1000}
    pop = {"id": "population", "title": "Pop", "kind": "snapshot", "hidden": True}
    r = row(
        tmp_path,
        m,
        [
            *monthly("A", "k", "2008-09", [10] * 12),
            {"org": "B", "measure": "population", "period_end": "2009-06", "value": 1000.0},
        ],
        extra=[pop],
        population="population",
    )
    assert r.latest is None and r.status is None
    assert r.status_reason.startswith("No population for Force A")


def test_a_year_of_quarters_with_one_missing_says_which_months_are_missing(tmp_path: Path) -> None:
    m = {"id": "y", "title": "Y", "kind": "count", "window": "financial_year", "comparator": "none"}
    rows = [
        {"org": "A", "measure": "y", "period_end": p, "months": 3, "numerator": 100.0}
        for p in ("2017-06", "2017-12", "2018-03")
    ]
    r = row(tmp_path, m, rows, as_of="2018-03")
    assert r.latest is None and r.status is None
    assert r.status_reason == (
        "No figure for 2017/18: no data for Jul - Sep 2017 (a window is summed "
        "only from observations that cover each of its months exactly once): no status"
    )
    # an earlier complete year is reported as such, and the later gap is stated beside it
    earlier = [
        {"org": "A", "measure": "y", "period_end": p, "months": 3, "numerator": 50.0}
        for p in ("2016-06", "2016-09", "2016-12", "2017-03")
    ]
    r = row(tmp_path / "b", m, earlier + rows, as_of="2018-03")
    assert r.latest is not None and r.latest.period == "2016/17" and r.latest.value == 200
    assert any(f.startswith("No figure for 2017/18: no data for Jul - Sep 2017") for f in r.facts)
