"""Benchmark: `kpiboard ingest` of a large tidy CSV project against DuckDB's own read_csv,
whole processes, interleaved in one run.

Writes a project of ROWS tidy observation rows (organisations x measures x months, half the
measures proportions) in 5 CSV files, then runs, interleaved, REPEAT times each:

* ``kpiboard ingest PROJECT`` into a fresh DuckDB warehouse (a child process: Python start-up,
  imports, reading, validating, the atomic load and the checks after it);
* a child process doing DuckDB ``CREATE TABLE obs AS SELECT * FROM read_csv([...])`` into a
  fresh file (no validation);
* a child process doing by hand, in DuckDB, the least an ingest can do and keep the promises
  SQL can keep (``DUCKDB_CHECKED_CHILD``: types, months, negatives, unknown organisations and
  measures, repeated keys, the file of each row, a vintage, all or nothing): the floor any
  ingest with checks stands on.

and, with ``--before SRC``, ``kpiboard ingest`` with another checkout's ``src`` (e.g. the
main branch's, for the figures before a change) in the same run; and prints each run's wall
time, CPU (user + system of the child), peak RSS (VmHWM, from
wait4's ru_maxrss) and the database file's size, then the ratios DuckDB / kpiboard.

    .venv/bin/python benchmarks/ingest_tidy_process.py --rows 2000000 [--repeat 1] [--dir D]
        [--before /path/to/other/src]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

FILES = 5
MONTHS = 120


def write_project(root: Path, rows: int) -> int:
    """A project of about ``rows`` rows: 200 organisations x MONTHS months x enough measures."""
    orgs = 200
    measures = max(FILES, -(-rows // (orgs * MONTHS)))
    measures += -measures % FILES
    rng = random.Random(2009)
    (root / "measures").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "kpiboard.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "Ingest benchmark",
                "organisation": "org000",
                "organisations": [
                    {"id": f"org{i:03d}", "name": f"Organisation {i}"} for i in range(orgs)
                ],
            }
        )
    )
    (root / "measures" / "m.yaml").write_text(
        yaml.safe_dump(
            {
                "measures": [
                    {
                        "id": f"m{j:03d}",
                        "title": f"Measure {j}",
                        "kind": "proportion" if j % 2 else "count",
                    }
                    for j in range(measures)
                ]
            }
        )
    )
    written = 0
    per_file = measures // FILES
    months = [f"{2001 + k // 12}-{k % 12 + 1:02d}" for k in range(MONTHS)]
    for f in range(FILES):
        lines = ["org,measure,period_end,months,numerator,denominator,provisional,note\n"]
        for j in range(f * per_file, (f + 1) * per_file):
            for i in range(orgs):
                for month in months:
                    if written >= rows:
                        break
                    num = rng.randint(50, 400)
                    den = str(num + rng.randint(0, 600)) if j % 2 else ""
                    prov = "yes" if month >= "2010-07" else ""
                    lines.append(f"org{i:03d},m{j:03d},{month},1,{num},{den},{prov},\n")
                    written += 1
        (root / "data" / f"part{f}.csv").write_text("".join(lines))
    return written


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (bytes) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[:3]} failed: {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


DUCKDB_CHILD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE obs AS SELECT * FROM read_csv(?)", [sys.argv[2:]])
con.close()
"""


# The least an ingest can do and still keep kpiboard's promises that SQL can keep, written by
# hand: the catalogue's organisations and measures read from its YAML (libyaml), every file
# read with its types, each row keeping the file it came from, the month format, negative
# figures, unknown organisations and measures and repeated keys refused (the transaction rolled
# back), the rows stamped with their vintage. No line numbers (DuckDB's reader has none), no
# SHA-256 of the files, no summary of what changed and no announcements.
DUCKDB_CHECKED_CHILD = """
import duckdb, sys, yaml
from pathlib import Path
root = Path(sys.argv[2])
load = lambda p: yaml.load(p.read_text(), Loader=yaml.CSafeLoader)
orgs = [o["id"] for o in load(root / "kpiboard.yaml")["organisations"]]
measures = [m["id"] for f in sorted((root / "measures").glob("*.yaml")) for m in load(f)["measures"]]
con = duckdb.connect(sys.argv[1])
con.execute(
    "CREATE TABLE obs (org VARCHAR, measure VARCHAR, period_end DATE, months INTEGER, "
    "numerator DOUBLE, denominator DOUBLE, provisional BOOLEAN, note VARCHAR, "
    "file VARCHAR, vintage INTEGER)"
)
con.execute("BEGIN")
con.execute(
    "INSERT INTO obs SELECT org, measure, strptime(period_end, '%Y-%m')::DATE, months, "
    "numerator, denominator, provisional = 'yes', note, filename, 1 FROM read_csv(?, "
    "header = true, filename = true, columns = {'org': 'VARCHAR', 'measure': 'VARCHAR', "
    "'period_end': 'VARCHAR', 'months': 'INTEGER', 'numerator': 'DOUBLE', "
    "'denominator': 'DOUBLE', 'provisional': 'VARCHAR', 'note': 'VARCHAR'})",
    [sys.argv[3:]],
)
bad = con.execute(
    "SELECT count(*) FILTER (WHERE numerator < 0 OR denominator < 0), "
    "count(*) FILTER (WHERE org NOT IN (SELECT unnest(?))), "
    "count(*) FILTER (WHERE measure NOT IN (SELECT unnest(?))) FROM obs",
    [orgs, measures],
).fetchone()
dup = con.execute(
    "SELECT count(*) FROM (SELECT 1 FROM obs GROUP BY org, measure, period_end, months "
    "HAVING count(*) > 1)"
).fetchone()
if any(bad) or dup[0]:
    con.execute("ROLLBACK")
    sys.exit(f"refused: {bad} {dup}")
con.execute("COMMIT")
con.close()
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None, help="keep the project here")
    ap.add_argument("--before", type=Path, default=None, help="another checkout's src")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp()) if args.dir is None else args.dir
    root = tmp / "proj"
    if not (root / "kpiboard.yaml").exists():
        write_project(root, args.rows)
    files = sorted(str(p) for p in (root / "data").glob("*.csv"))
    size = sum(Path(f).stat().st_size for f in files)
    env = dict(os.environ)
    exe = Path(sys.executable)
    kpiboard = str(exe.parent / "kpiboard")
    raw_db = tmp / "raw.duckdb"
    print(
        f"{args.rows:,} rows in {len(files)} files ({size / 2**20:.0f} MiB); load {os.getloadavg()}"
    )
    got: dict[str, list[tuple[float, float, int, int]]] = {
        "kpiboard": [],
        "duckdb": [],
        "checked": [],
    }
    db = root / ".kpiboard" / "warehouse.duckdb"
    for _ in range(args.repeat):
        if args.before is not None:
            shutil.rmtree(root / ".kpiboard", ignore_errors=True)
            wall, cpu, rss = run(
                [kpiboard, "ingest", str(root)], {**env, "PYTHONPATH": str(args.before)}
            )
            got.setdefault("before", []).append((wall, cpu, rss, db.stat().st_size))
        shutil.rmtree(root / ".kpiboard", ignore_errors=True)
        wall, cpu, rss = run([kpiboard, "ingest", str(root)], env)
        got["kpiboard"].append((wall, cpu, rss, db.stat().st_size))
        raw_db.unlink(missing_ok=True)
        wall, cpu, rss = run([str(exe), "-c", DUCKDB_CHILD, str(raw_db), *files], env)
        got["duckdb"].append((wall, cpu, rss, raw_db.stat().st_size))
        raw_db.unlink(missing_ok=True)
        child = [str(exe), "-c", DUCKDB_CHECKED_CHILD, str(raw_db), str(root), *files]
        wall, cpu, rss = run(child, env)
        got["checked"].append((wall, cpu, rss, raw_db.stat().st_size))
    for label, runs in got.items():
        for wall, cpu, rss, db_size in runs:
            print(
                f"{label:9s} wall {wall:6.2f}s  cpu {cpu:6.2f}s  peak RSS {rss / 2**20:6.0f} MiB"
                f"  file {db_size / 2**20:6.0f} MiB  {args.rows / wall:>10,.0f} rows/s"
            )
    k = min(r[0] for r in got["kpiboard"])
    d = min(r[0] for r in got["duckdb"])
    kc = min(r[1] for r in got["kpiboard"])
    dc = min(r[1] for r in got["duckdb"])
    print(f"DuckDB / kpiboard: wall {d / k:.2f}x  cpu {dc / kc:.2f}x  (best of {args.repeat})")
    h = min(r[0] for r in got["checked"])
    hc = min(r[1] for r in got["checked"])
    print(f"DuckDB / checked:  wall {d / h:.2f}x  cpu {dc / hc:.2f}x  (a hand-written ingest)")
    print(f"checked / kpiboard: wall {h / k:.2f}x  cpu {hc / kc:.2f}x")
    if "before" in got:
        b = min(r[0] for r in got["before"])
        bc = min(r[1] for r in got["before"])
        print(f"DuckDB / before:   wall {d / b:.2f}x  cpu {dc / bc:.2f}x")
        print(f"before / kpiboard: wall {b / k:.2f}x  cpu {bc / kc:.2f}x")
    if args.dir is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
