"""Load on the dashboard: N concurrent clients on the scorecard page and the KPI page of
`kpiboard serve`, for a bounded time, on 127.0.0.1.

    .venv/bin/python benchmarks/web_load.py [--clients 50] [--seconds 60] [--project examples/met-cpa-2009-10]
    .venv/bin/python benchmarks/web_load.py --flood [--flood-concurrency 12] [--seconds 25]

Starts `kpiboard serve` on a copy of the project (its own application database with one
viewer), signs every client in, warms the pages once, then each client loops over its page
until the time is up. Prints requests/s, p50/p95/p99 latency and errors per page; then, as a
baseline measured in the same run by the same clients against the same server, a trivial
response (`/favicon.ico`, 204), so the figures can be read as a ratio to the floor that the
server, the client and this machine impose. Aim (issue 5): zero errors, p95 under 100 ms for
the scorecard page. Not part of the test suite: run by hand, machines are shared and noisy.

``--flood`` measures instead what one viewer requesting many distinct uncached pages does to
everyone else (issue 12, L6): the same clients read their cached pages on an idle server, then
again while one more signed-in client requests every organisation x month scorecard and KPI
page it can list, ``--flood-concurrency`` at a time (in shuffled order, none requested twice;
a refused page is skipped at once, or with ``--flood-polite`` after waiting its Retry-After).
Prints the other users' req/s and p95 in both phases and their ratio, and what the flooding
client got (pages built, refusals with 429).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kpiboard.web.db import AppStore, Role  # noqa: E402

USER, PASSWORD = "loadtest", "load test password"
TIMEOUT = 10.0  # seconds: a request slower than this counts as an error


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(project: Path) -> tuple[subprocess.Popen[bytes], str]:
    store = AppStore.open(AppStore.default_url(project, None))
    if store.user(USER) is None:
        store.add_user(USER, PASSWORD, Role.VIEWER)
    store.close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kpiboard", "serve", str(project), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("kpiboard serve did not start")


async def _client(url: str, path: str, until: float, tally: Tally, cookies: httpx.Cookies) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=url, cookies=cookies, timeout=TIMEOUT, limits=limits
    ) as client:
        while time.monotonic() < until:
            start = time.perf_counter()
            try:
                got = await client.get(path)
                await got.aread()
            except httpx.HTTPError as exc:
                tally.error(type(exc).__name__)
                continue
            elapsed = time.perf_counter() - start
            if got.status_code >= 400:
                tally.error(f"HTTP {got.status_code}")
            else:
                tally.latencies.append(elapsed)


async def _run(
    url: str, paths: list[str], seconds: float, sessions: list[httpx.Cookies]
) -> dict[str, Tally]:
    tallies = {p: Tally() for p in paths}
    until = time.monotonic() + seconds
    tasks = [
        _client(url, paths[i % len(paths)], until, tallies[paths[i % len(paths)]], cookies)
        for i, cookies in enumerate(sessions)
    ]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 2 * TIMEOUT + 5)
    return tallies


@dataclass
class Flood:
    """What the flooding client got: pages answered (each one built), refusals, errors."""

    built: int = 0
    refused: int = 0  # 429: over its own bound on pages being built
    errors: dict[str, int] = field(default_factory=dict)


async def _flood(
    url: str,
    pages: list[str],
    until: float,
    concurrency: int,
    cookies: httpx.Cookies,
    out: Flood,
    polite: bool,
) -> None:
    """One viewer requesting distinct uncached pages, ``concurrency`` at a time; a refused
    page is not retried (the next one is asked for), so the flood never lets up."""
    queue = iter(pages)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, cookies=cookies, timeout=60, limits=limits
    ) as client:

        async def worker() -> None:
            for path in queue:
                if time.monotonic() >= until:
                    return
                try:
                    got = await client.get(path)
                except httpx.HTTPError as exc:
                    out.errors[type(exc).__name__] = out.errors.get(type(exc).__name__, 0) + 1
                    continue
                if got.status_code == 429:
                    out.refused += 1
                    if polite:  # a browser-like client waits as asked; a flood does not
                        await asyncio.sleep(float(got.headers.get("retry-after", 1)))
                elif got.status_code >= 400:
                    out.errors[f"HTTP {got.status_code}"] = (
                        out.errors.get(f"HTTP {got.status_code}", 0) + 1
                    )
                else:
                    out.built += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _run_flooded(
    url: str,
    paths: list[str],
    seconds: float,
    sessions: list[httpx.Cookies],
    flood: tuple[list[str], int, httpx.Cookies, bool],
    out: Flood,
) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """The clients' tallies in the flood's first ``seconds`` (a reader's burst of building
    time falls there) and in the next ``seconds`` (the flood sustained)."""
    until = time.monotonic() + 2 * seconds
    pages, concurrency, cookies, polite = flood
    flooding = asyncio.ensure_future(_flood(url, pages, until, concurrency, cookies, out, polite))
    first = await _run(url, paths, seconds, sessions)
    sustained = await _run(url, paths, seconds, sessions)
    await asyncio.wait_for(flooding, timeout=2 * 60 + 5)
    return first, sustained


def _flood_pages(url: str, cookies: httpx.Cookies) -> list[str]:
    """Every organisation x month scorecard page and KPI page the viewer can list, shuffled."""
    orgs = [
        o["id"]
        for o in httpx.get(url + "/api/organisations", cookies=cookies).json()["organisations"]
    ]
    months = httpx.get(url + "/api/months", cookies=cookies).json()["months"]
    home = httpx.get(url + "/api/organisations", cookies=cookies).json()["home"]
    card = httpx.get(url + f"/api/scorecards/{home}/{months[0]}", cookies=cookies, timeout=60)
    measures = [row["measure"] for row in card.json()["rows"]]
    pages = [f"/scorecard/{o}/{m}" for o in orgs for m in months]
    pages += [f"/scorecard/{o}/{m}/kpi/{k}" for o in orgs for m in months for k in measures]
    random.Random(12).shuffle(pages)
    return pages


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _report(name: str, tallies: dict[str, Tally], seconds: float) -> dict[str, float]:
    print(f"\n{name}")
    print(f"  {'page':58} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    out = {}
    for path, t in tallies.items():
        n = len(t.latencies)
        p50, p95, p99 = (_pct(t.latencies, q) * 1000 for q in (50, 95, 99))
        print(
            f"  {path:58} {n / seconds:8.1f} {p50:8.1f} {p95:8.1f} {p99:8.1f} {sum(t.errors.values()):7d}"
            + (f"  {t.errors}" if t.errors else "")
        )
        out[path] = p95
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    parser.add_argument("--project", type=Path, default=ROOT / "examples" / "met-cpa-2009-10")
    parser.add_argument("--month", default="2009-08")
    parser.add_argument("--measure", default="robbery")
    parser.add_argument("--flood", action="store_true", help="the L6 scenario (see above)")
    parser.add_argument("--flood-concurrency", type=int, default=12)
    parser.add_argument(
        "--flood-polite", action="store_true", help="the flooding client honours Retry-After"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / args.project.name
        shutil.copytree(args.project, project, ignore=shutil.ignore_patterns(".kpiboard"))
        proc, url = _start(project)
        try:
            sessions = []  # each client signs in: its own session, as 50 people would have
            for _ in range(args.clients):
                signin = httpx.post(
                    url + "/api/session", json={"username": USER, "password": PASSWORD}, timeout=30
                )
                signin.raise_for_status()
                sessions.append(signin.cookies)
            org = httpx.get(url + "/api/organisations", cookies=signin.cookies).json()["home"]
            scorecard = f"/scorecard/{org}/{args.month}"
            kpi = f"{scorecard}/kpi/{args.measure}"
            for path in (scorecard, kpi):  # warm: the first view of a month builds and caches it
                httpx.get(url + path, cookies=signin.cookies, timeout=60).raise_for_status()
            print(
                f"kpiboard serve on {url}; {args.clients} clients for {args.seconds:g} s; "
                f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores "
                "(the clients run on the same machine)"
            )
            if args.flood:
                _flood_run(url, [scorecard, kpi], args, sessions)
                return
            pages = asyncio.run(_run(url, [scorecard, kpi], args.seconds, sessions))
            p95 = _report("Pages (clients split between the two)", pages, args.seconds)
            floor = asyncio.run(_run(url, ["/favicon.ico"], args.baseline_seconds, sessions))
            base = _report(
                "Baseline: a trivial 204 response from the same server",
                floor,
                args.baseline_seconds,
            )
            print(
                f"\nscorecard p95 / baseline p95 = {p95[scorecard] / base['/favicon.ico']:.2f}x;"
                f" KPI page p95 / baseline p95 = {p95[kpi] / base['/favicon.ico']:.2f}x"
            )
            errors = sum(sum(t.errors.values()) for t in pages.values())
            print(
                f"aim: zero errors ({'met' if errors == 0 else 'NOT met'}), scorecard p95 < 100 ms "
                f"({'met' if p95[scorecard] < 100 else 'NOT met'})"
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _flood_run(
    url: str, paths: list[str], args: argparse.Namespace, sessions: list[httpx.Cookies]
) -> None:
    signin = httpx.post(
        url + "/api/session", json={"username": USER, "password": PASSWORD}, timeout=30
    )
    signin.raise_for_status()
    pages = _flood_pages(url, signin.cookies)
    idle = asyncio.run(_run(url, paths, args.seconds, sessions))
    before = _report("Idle server: the clients alone", idle, args.seconds)
    flood = Flood()
    print(f"\nload average before the flood: {os.getloadavg()[0]:.2f}")
    first, sustained = asyncio.run(
        _run_flooded(
            url,
            paths,
            args.seconds,
            sessions,
            (pages, args.flood_concurrency, signin.cookies, args.flood_polite),
            flood,
        )
    )
    what = f"one viewer requests uncached pages, {args.flood_concurrency} at a time"
    during = [
        _report(
            f"The same clients while {what}: its first {args.seconds:g} s", first, args.seconds
        ),
        _report(f"... and its next {args.seconds:g} s", sustained, args.seconds),
    ]
    print(
        f"  flooding viewer, {2 * args.seconds:g} s: {flood.built} pages answered "
        f"({flood.built / (2 * args.seconds):.1f}/s), {flood.refused} refused (429), "
        f"errors {flood.errors or 0}; {len(pages)} distinct pages listed"
    )
    print("\nother users, flooded / idle (first window; next window):")
    for path in paths:
        p95 = "; ".join(f"{d[path] / before[path]:.2f}x" for d in during)
        rates = "; ".join(
            f"{len(t[path].latencies) / max(len(idle[path].latencies), 1):.2f}x"
            for t in (first, sustained)
        )
        print(f"  {path}: p95 {p95}, req/s {rates}")


if __name__ == "__main__":
    main()
