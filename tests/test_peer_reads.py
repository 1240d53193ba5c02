"""One organisation's scorecard reads its own rows and, of the other organisations, only the
windows its ranks read (engine/peer_plan.py), and comes out the same as from every
organisation's full history."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pytest
from obs import SCHEMA, monthly, obs, project

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.engine import peer_plan
from kpiboard.engine.build import build_scorecard
from kpiboard.engine.needs import scorecard_request
from kpiboard.engine.peer_plan import home_request, peer_request, peer_shortfall
from kpiboard.engine.peers import PeerMonthsNeeded
from kpiboard.enginedata import EngineData, EngineRequest
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse, ingest_project
from kpiboard.warehouse.reads import Observations
from kpiboard.warehouse.windows import STATS, WINDOWS, sums_at, window_table

AS_OF = parse_month("2009-08")
COUNT = {"id": "c", "title": "Crimes", "kind": "count", "window": "rolling_12", "ranks": {}}
OTHER = {"id": "u", "title": "Unranked", "kind": "count", "window": "rolling_12"}


@pytest.fixture(autouse=True)
def in_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """These cubes are small, so a scorecard would read them whole: make it take the steps."""
    monkeypatch.setattr(peer_plan, "WHOLE_READ_ROWS", 0)


class Counted(Observations):
    """The warehouse's reads, counting the requests a scorecard makes."""

    requests = 0

    def engine_data(self, request: EngineRequest) -> EngineData:
        self.requests += 1
        return super().engine_data(request)


def test_a_small_cube_is_read_whole_in_one_request_with_the_same_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = project(tmp_path, [COUNT, OTHER])
    table = obs(cube(lagging="C"))  # a lagging peer: the steps would need a third request
    stepped = Counted(table)
    in_steps_card = assemble_scorecard(cat, stepped, AS_OF, "A")
    assert stepped.requests == 3
    # 2 others x 1 ranked measure x 49 months = 98 rows: one read below the bar, steps at it
    assert not peer_plan.reads_peers_whole(cat, "A")
    monkeypatch.setattr(peer_plan, "WHOLE_READ_ROWS", 99)
    assert peer_plan.reads_peers_whole(cat, "A")
    whole = Counted(table)
    assert assemble_scorecard(cat, whole, AS_OF, "A") == in_steps_card == full_card(cat, table)
    assert whole.requests == 1
    monkeypatch.setattr(peer_plan, "WHOLE_READ_ROWS", 98)
    assert not peer_plan.reads_peers_whole(cat, "A")


def rows_of(data: EngineData, org: str | None = None) -> int:
    """Window rows fetched, of one organisation or of all."""
    return sum(len(s) for (o, _), s in data.windows.items() if org is None or o == org)


def cube(lagging: str | None = None) -> list[dict[str, Any]]:
    """36 months to Aug-09 of both measures for A, B and C; ``lagging`` lacks Aug-09."""
    rows = []
    for i, org in enumerate("ABC"):
        for mid in ("c", "u"):
            values: list[float | None] = [10.0 * (i + 1) + k % 5 for k in range(36)]
            if org == lagging:
                values[-1] = None
            rows += monthly(org, mid, "2006-09", values)
    return rows


def full_card(cat: Catalogue, table: ibis.Table, home: str = "A") -> Any:
    """The scorecard from every organisation's full history of the ranked measures."""
    data = Observations(table).engine_data(scorecard_request(cat, AS_OF, home))
    return build_scorecard(cat, data, AS_OF, home)


def test_one_org_reads_its_own_rows_and_two_months_of_each_peer(tmp_path: Path) -> None:
    cat = project(tmp_path, [COUNT, OTHER])
    table = obs(cube())
    reads = Observations(table)
    home = reads.engine_data(home_request(cat, AS_OF, "A"))
    # its own 36 months of both measures (history keeps 48 before the latest), no one else's
    assert rows_of(home) == rows_of(home, "A") == 2 * 36
    request = peer_request(cat, home, AS_OF, "A")
    peers = reads.engine_data(request)
    # the ranked measure of B and C at Aug-09 and Aug-08 only: 2 x 2 rows, not 2 x 2 x 36
    assert {k: sorted(s) for k, s in peers.windows.items()} == {
        (o, "c"): [AS_OF - 12, AS_OF] for o in "BC"
    }
    assert peers.peers_at == {"c": frozenset({AS_OF, AS_OF - 12})}
    assert peers.recorded == {}
    # and the window sums there are those of the full series
    full = reads.engine_data(scorecard_request(cat, AS_OF, "A"))
    assert peers.windows[("B", "c")][AS_OF] == full.windows[("B", "c")][AS_OF]
    card = assemble_scorecard(cat, table, AS_OF, "A")
    assert card == full_card(cat, table)
    assert card.rows[0].ranks[0].text == "3rd/3"


def test_a_lagging_peer_makes_the_rank_read_earlier_months(tmp_path: Path) -> None:
    cat = project(tmp_path, [COUNT, OTHER])
    table = obs(cube(lagging="C"))
    reads = Observations(table)
    home = reads.engine_data(home_request(cat, AS_OF, "A"))
    data = home.merged(reads.engine_data(peer_request(cat, home, AS_OF, "A")))
    # C has no Aug-09: the rank searches Jul-09, which was not read, and says so
    with pytest.raises(PeerMonthsNeeded) as raised:
        build_scorecard(cat, data, AS_OF, "A")
    assert raised.value.measures == {"c"}
    more = peer_shortfall(cat, data, AS_OF, "A")
    assert more is not None
    (reads_c,) = more.others
    assert reads_c.ends == frozenset(range(AS_OF - 35, AS_OF + 1))
    card = assemble_scorecard(cat, table, AS_OF, "A")
    assert card == full_card(cat, table)
    rank = card.rows[0].ranks[0]
    assert (rank.period, rank.of) == ("12 months to Jul-09", 3)


def test_a_peer_with_quarters_has_every_month_a_window_is_pieced_from(tmp_path: Path) -> None:
    cat = project(tmp_path, [COUNT])
    rows = [
        r
        for r in cube()
        if r["measure"] == "c" and not (r["org"] == "B" and r["period_end"] >= "2008-09")
    ]
    for end in ("2008-11", "2009-02", "2009-05", "2009-08"):  # B's last year in quarters
        rows.append({"org": "B", "measure": "c", "period_end": end, "months": 3, "numerator": 60})
    table = obs(rows)
    reads = Observations(table)
    home = reads.engine_data(home_request(cat, AS_OF, "A"))
    # the others' observations of more than one month come with the home's rows
    assert [r.end for r in home.recorded[("B", "c")]] == [AS_OF - 9, AS_OF - 6, AS_OF - 3, AS_OF]
    peers = reads.engine_data(peer_request(cat, home, AS_OF, "A"))
    # so a window of "c" may be pieced together: every month from a year before Aug-08 is read
    assert peers.peers_at == {"c": frozenset(range(AS_OF - 23, AS_OF + 1))}
    assert sorted(peers.windows[("B", "c")]) == list(range(AS_OF - 23, AS_OF - 11))
    assert sorted(peers.windows[("C", "c")]) == list(range(AS_OF - 23, AS_OF + 1))
    card = assemble_scorecard(cat, table, AS_OF, "A")
    assert card == full_card(cat, table)
    assert card.rows[0].ranks[0].mean_of_rates == (144 + 240 + 384) / 3  # B: four quarters of 60


def test_populations_of_peers_are_read_in_full(tmp_path: Path) -> None:
    rate = {**COUNT, "ranks": {"per_population": 1000}}
    pop = {"id": "pop", "title": "Population", "kind": "snapshot"}
    cat = project(tmp_path, [rate, pop], population="pop")
    rows = [r for r in cube() if r["measure"] == "c"]
    for i, org in enumerate("ABC"):  # one estimate, two years before the report month
        rows.append({"org": org, "measure": "pop", "period_end": "2007-06", "value": 1e4 * (i + 1)})
    table = obs(rows)
    reads = Observations(table)
    home = reads.engine_data(home_request(cat, AS_OF, "A"))
    # the others' populations, read as at any earlier month, come with the home's rows
    assert sorted(home.windows[("B", "pop")]) == [parse_month("2007-06")]
    peers = reads.engine_data(peer_request(cat, home, AS_OF, "A"))
    assert peers.peers_at == {"c": frozenset({AS_OF - 12, AS_OF})}
    card = assemble_scorecard(cat, table, AS_OF, "A")
    assert card == full_card(cat, table)
    assert card.rows[0].ranks[0].verdict is not None


def test_an_organisation_without_rows_is_reported_as_before(tmp_path: Path) -> None:
    cat = project(tmp_path, [COUNT])
    table = obs([r for r in cube() if r["org"] != "A" and r["measure"] == "c"])
    assert assemble_scorecard(cat, table, AS_OF, "A") == full_card(cat, table)


def test_sums_at_the_months_named_equal_the_window_table() -> None:
    rng = np.random.default_rng(17)
    grid = [(o, m, k) for o in "AB" for m in "xy" for k in range(40)]
    kept = [g for g in grid if rng.random() < 0.8]  # gaps stay gaps
    n = len(kept)
    table = pa.table(
        {
            "org": [o for o, _, _ in kept],
            "measure": [m for _, m, _ in kept],
            "period_end": pa.array(
                [datetime.date(2008 + k // 12, k % 12 + 1, 1) for _, _, k in kept], pa.date32()
            ),
            "months": pa.array(np.ones(n, dtype="int32")),
            "numerator": pa.array(
                np.where(rng.random(n) < 0.2, np.nan, rng.random(n) * 10), from_pandas=True
            ),
            "denominator": pa.array(rng.random(n) * 20),
            "value": pa.array(
                np.where(rng.random(n) < 0.5, np.nan, rng.random(n)), from_pandas=True
            ),
            "sample_size": pa.nulls(n, pa.float64()),
            "provisional": pa.array(rng.random(n) < 0.1),
            "note": pa.nulls(n, pa.string()),
            "source": pa.nulls(n, pa.string()),
        },
        schema=SCHEMA,
    )
    t = ibis.memtable(table)
    start = 2008 * 12
    ends = {"x": [start + 5, start + 17, start + 39], "y": list(range(start, start + 40))}
    at = ibis.memtable(
        {
            "measure": [m for m, es in ends.items() for _ in es],
            "e": [e for es in ends.values() for e in es],
        }
    )
    columns = [f"{w.name}_{s}" for w in WINDOWS for s in STATS]
    for fy_start in (1, 4, 11):
        want = window_table(t, fy_start, comparator=False).to_pyarrow().to_pylist()
        got = sums_at(t, at, fy_start).to_pyarrow().to_pylist()
        keyed = {(r["org"], r["measure"], r["m"]): r for r in got}
        wanted = {(r["org"], r["measure"], r["m"]): r for r in want if r["m"] in ends[r["measure"]]}
        assert keyed.keys() == wanted.keys()
        for key, row in wanted.items():
            for c in columns:
                want_c, got_c = row[c], keyed[key][c]
                if want_c is None:  # a sum of nothing is null in both
                    assert got_c is None, (key, c)
                else:
                    assert got_c == pytest.approx(want_c, rel=1e-12), (key, c)


@pytest.mark.parametrize(
    ("example", "as_of"), [("met-cpa-2009-10", "2009-08"), ("england-wales-2017-18", "2018-03")]
)
def test_the_examples_scorecards_are_the_same_read_in_steps_or_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: str, as_of: str
) -> None:
    # the examples are small enough to be read whole by default: the steps give the same card
    root = Path(__file__).resolve().parents[1] / "examples" / example
    project_dir = shutil.copytree(
        root, tmp_path / example, ignore=shutil.ignore_patterns(".kpiboard")
    )
    cat = load_catalogue(project_dir)
    ingest_project(cat)
    month = parse_month(as_of)
    with Warehouse.open(cat) as wh:
        stepped = Counted(wh.scorecard_observations(cat))
        in_steps = assemble_scorecard(cat, stepped, month)
        assert stepped.requests >= 2
        monkeypatch.setattr(peer_plan, "WHOLE_READ_ROWS", 10**9)
        whole = Counted(wh.scorecard_observations(cat))
        assert assemble_scorecard(cat, whole, month) == in_steps
        assert whole.requests == 1
