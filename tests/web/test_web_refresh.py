"""Serving while the data are refreshed (issue 13 item 5): with `kpiboard serve` running on a
project, `kpiboard ingest` and `kpiboard report` work, the dashboard shows the new vintage
without a restart, and every page is built from one vintage, never a mix, while clients read
through the load. A real server, real commands, real DuckDB files and a real PostgreSQL server;
nothing waits on a clock: the dashboard looks for a new vintage on every request here
(``vintage_check_seconds: 0``) and the readers stop once each has seen the new one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from appdb_helpers import PASSWORD, create_pg_database, drop_pg_database
from live import project_copy, serving

from kpiboard.web.db import AppStore, Role

ORG, MONTH = "metropolitan", "2009-08"
OLD_FIGURE = "metropolitan,msv,2009-08,1,1453,"
NEW_FIGURE = "metropolitan,msv,2009-08,1,1777,"
# msv's August figure as each vintage has it, as the pages print it, and the year-to-date
# change the API gives (+36 on 7,296 with 1,453 in August)
FIGURES = {1: "1,453", 2: "1,777"}
CHANGES = {1: 36.0, 2: 360.0, 3: 383.0}
SETTINGS = "dashboard:\n  anonymous_read: true\n  vintage_check_seconds: 0\n"
CLIENTS = 20
MAX_READS = 400  # per client: a bound on the test, never reached when the server keeps up


def kpiboard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """A `kpiboard` command in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "kpiboard", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def revise(project: Path, old: str = OLD_FIGURE, new: str = NEW_FIGURE) -> None:
    path = project / "data" / "crime.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def msv(card: dict[str, object]) -> int:
    """The vintage whose figure the scorecard's msv row has (by its year-to-date change)."""
    rows = card["rows"]
    assert isinstance(rows, list)
    [row] = [r for r in rows if r["measure"] == "msv"]
    [vintage] = [v for v, change in CHANGES.items() if row["change"]["absolute"] == change]
    return vintage


def api_read(client: httpx.Client) -> tuple[int, int]:
    """The API scorecard's vintage (header) and the vintage its msv figure is of (body)."""
    got = client.get(f"/api/scorecards/{ORG}/{MONTH}")
    assert got.status_code == 200, got.text
    return int(got.headers["x-kpiboard-vintage"]), msv(got.json())


def page_read(client: httpx.Client, path: str) -> tuple[int, int]:
    """A page's vintage (its footer) and the vintage its msv figure is of."""
    got = client.get(path)
    assert got.status_code == 200, got.text
    [vintage] = re.findall(r"data: vintage (\d+)", got.text)
    shown = [v for v, figure in FIGURES.items() if figure in got.text]
    assert len(shown) == 1, f"figures of vintages {shown} on {path}"
    return int(vintage), shown[0]


READS = (
    api_read,
    lambda c: page_read(c, f"/scorecard/{ORG}/{MONTH}/kpi/msv"),
    lambda c: page_read(c, f"/scorecard/{ORG}/{MONTH}"),
)


def test_ingest_and_report_work_while_serving_and_the_dashboard_shows_the_new_vintage(
    tmp_path: Path,
) -> None:
    project = project_copy(tmp_path, SETTINGS)
    with serving(project) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert api_read(client) == (1, 1)
        revise(project)
        done = kpiboard("ingest", project)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("vintage 2 made")
        report = kpiboard("report", project, "--as-of", MONTH, "--format", "json")
        assert report.returncode == 0, report.stderr
        assert msv(json.loads(report.stdout)) == 2
        assert api_read(client) == (2, 2)
        assert page_read(client, f"/scorecard/{ORG}/{MONTH}/kpi/msv") == (2, 2)
        assert client.get("/api/months").json()["vintage"] == 2
        # a report that must ingest first (the data changed again) is a writer beside it too
        revise(project, NEW_FIGURE, "metropolitan,msv,2009-08,1,1800,")
        report = kpiboard("report", project, "--as-of", MONTH, "--format", "json")
        assert report.returncode == 0, report.stderr
        assert msv(json.loads(report.stdout)) == 3
        got = client.get(f"/api/scorecards/{ORG}/{MONTH}")
        assert (got.headers["x-kpiboard-vintage"], msv(got.json())) == ("3", 3)


def readers(project: Path) -> None:
    """CLIENTS board members, each signed in on their own (one reader's builds are bounded:
    twenty people, not one address asking twenty times)."""
    store = AppStore.open(AppStore.default_url(project, None))
    try:
        for n in range(CLIENTS):
            store.add_user(f"reader{n}", PASSWORD, Role.VIEWER)
    finally:
        store.close()


def read_through_a_load(url: str, load: list[str]) -> list[tuple[int, int]]:
    """CLIENTS signed-in threads read the scorecard, a KPI page and the API continuously while
    ``load`` (a command) makes vintage 2; each stops once it has read vintage 2 after the load
    ended. Returns every (vintage, figure) read; any failed request fails the test."""
    loaded = threading.Event()
    start = threading.Barrier(CLIENTS + 1)

    def client(n: int) -> list[tuple[int, int]]:
        seen: list[tuple[int, int]] = []
        with httpx.Client(base_url=url, timeout=120) as c:
            creds = {"username": f"reader{n}", "password": PASSWORD}
            assert c.post("/api/session", json=creds).status_code == 200
            start.wait()
            for i in range(MAX_READS):
                seen.append(READS[(n + i) % len(READS)](c))
                if loaded.is_set() and seen[-1][0] == 2:
                    return seen
        raise AssertionError(f"client {n} never saw vintage 2 in {MAX_READS} reads")

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client, n) for n in range(CLIENTS)]
        start.wait()
        done = subprocess.run(load, capture_output=True, text=True, timeout=300)
        loaded.set()
        assert done.returncode == 0, done.stderr
        return [read for f in futures for read in f.result()]


def check_consistent(reads: list[tuple[int, int]]) -> None:
    assert {v for v, _ in reads} <= {1, 2}
    mixed = [(v, f) for v, f in reads if v != f]
    assert not mixed, f"{len(mixed)} pages mixed vintages: {mixed[:5]}"
    assert any(v == 2 for v, _ in reads)


def test_every_page_is_one_vintage_while_20_clients_read_through_an_ingest(
    tmp_path: Path,
) -> None:
    project = project_copy(tmp_path, SETTINGS)
    readers(project)
    with serving(project) as url:
        httpx.get(f"{url}/api/scorecards/{ORG}/{MONTH}", timeout=60)  # built once, as in use
        revise(project)
        reads = read_through_a_load(url, [sys.executable, "-m", "kpiboard", "ingest", str(project)])
    check_consistent(reads)


@pytest.fixture
def pg_warehouse(postgres_url: str) -> Iterator[str]:
    name, url = create_pg_database(postgres_url)
    yield url
    drop_pg_database(postgres_url, name)


def test_every_page_is_one_vintage_on_a_postgresql_warehouse_too(
    tmp_path: Path, pg_warehouse: str
) -> None:
    project = project_copy(tmp_path, SETTINGS + f"warehouse: {pg_warehouse}\n")
    readers(project)
    with serving(project) as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            assert api_read(client) == (1, 1)
        revise(project)
        reads = read_through_a_load(url, [sys.executable, "-m", "kpiboard", "ingest", str(project)])
    check_consistent(reads)


def test_a_build_that_waits_too_long_for_a_load_is_a_503_with_retry_after(
    tmp_path: Path,
) -> None:
    """While a writer holds the warehouse, a page not built yet waits (here not at all) and
    then says to try again; pages already built are served all the same."""
    from fastapi.testclient import TestClient
    from test_warehouse_access import WRITER, holding

    from kpiboard.catalogue.schema import Dashboard
    from kpiboard.warehouse.access import writer_lock_path
    from kpiboard.web.app import create_app
    from kpiboard.web.service import ScorecardService

    project = project_copy(tmp_path)
    service = ScorecardService.open(project)
    store = AppStore.open(AppStore.default_url(project, None))
    try:
        client = TestClient(create_app(service, store, Dashboard(anonymous_read=True)))
        assert client.get(f"/scorecard/{ORG}/{MONTH}").status_code == 200
        service._access.read_wait = 0  # the 20 s a reader waits, cut short
        with holding(WRITER, str(writer_lock_path(project / ".kpiboard" / "warehouse.duckdb"))):
            assert client.get(f"/scorecard/{ORG}/{MONTH}").status_code == 200  # built before
            got = client.get(f"/scorecard/{ORG}/2009-07")
            assert got.status_code == 503
            assert got.headers["retry-after"] == "5"
            assert "the data are being loaded" in got.text and "try again in a moment" in got.text
            api = client.get(f"/api/scorecards/{ORG}/2009-06")
            assert api.status_code == 503 and api.json()["error"]["code"] == "data_loading"
        assert client.get(f"/scorecard/{ORG}/2009-07").status_code == 200
    finally:
        store.close()
        service.close()


def test_a_request_keeps_its_vintage_when_a_new_one_comes_and_the_next_takes_the_new(
    tmp_path: Path,
) -> None:
    """Deterministically, without a server: a request that took vintage 1's snapshot builds
    from vintage 1 after the service switched to vintage 2, and says so; the next request (a
    fresh context) reads vintage 2."""
    import contextvars

    from kpiboard.web.service import ScorecardService

    project = project_copy(tmp_path)
    service = ScorecardService.open(project)
    service._check_seconds = 0  # look on every request, as the setting 0 says
    try:
        first = contextvars.copy_context()
        first.run(service.enter, service.refresh())
        revise(project)
        done = kpiboard("ingest", project)
        assert done.returncode == 0, done.stderr
        second = contextvars.copy_context()
        second.run(lambda: service.enter(service.current() or service.refresh()))

        def seen() -> tuple[int | None, str, int]:
            card = service.scorecard(ORG, MONTH)
            return service.vintage, service.version.hash, msv(card.to_dict())

        old, new = first.run(seen), second.run(seen)
        assert (old[0], old[2]) == (1, 1) and (new[0], new[2]) == (2, 2)
        assert old[1] != new[1]  # the data version follows the vintage
        assert first.run(seen) == old  # still vintage 1 for the request that began on it
    finally:
        service.close()


def test_a_build_shut_out_by_another_program_is_a_503_saying_who_holds_the_file(
    tmp_path: Path,
) -> None:
    """Not a kpiboard writer (no lock beside the file) but a program holding the DuckDB file
    open to write, such as a DuckDB shell: after the wait, a 503 whose hint says what to do."""
    from fastapi.testclient import TestClient
    from test_warehouse_access import holding

    from kpiboard.catalogue.schema import Dashboard
    from kpiboard.web.app import create_app
    from kpiboard.web.service import ScorecardService

    project = project_copy(tmp_path)
    service = ScorecardService.open(project)
    store = AppStore.open(AppStore.default_url(project, None))
    shell = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
        "sys.stdin.read()"
    )
    try:
        client = TestClient(create_app(service, store, Dashboard(anonymous_read=True)))
        service._access.read_wait = 0
        with holding(shell, str(project / ".kpiboard" / "warehouse.duckdb")):
            got = client.get(f"/api/scorecards/{ORG}/{MONTH}")
        assert got.status_code == 503, got.text
        assert got.headers["retry-after"] == "5"
        assert got.json()["error"]["code"] == "warehouse_locked"
        assert "may have the file open; close it" in got.json()["error"]["hint"]
        assert client.get(f"/api/scorecards/{ORG}/{MONTH}").status_code == 200
    finally:
        store.close()
        service.close()
