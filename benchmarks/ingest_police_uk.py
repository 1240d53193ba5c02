"""Benchmark: a national street-level volume through `kpiboard ingest` and through DuckDB's own
read_csv, in the same run, each in its own child process (so each peak memory is its own).

Synthesises data.police.uk street files in a temporary directory by replicating the two real
West Yorkshire files (``/work/shared/data/police-uk``) across the 43 forces of the built-in
table and successive months: "Reported by" and "Falls within" become each force's police.uk
name, Month the file's month, and the first four hex digits of each Crime ID encode the force
(and the pass over the real file), so Crime IDs stay unique within a month. Files have the
national average size (~9,700 rows: police.uk publishes ~500,000 street records a month across
43 forces), so 50 million rows is about ten years. Then it writes a project
(``builtin_organisations: england-wales``, one ``police_uk_street`` source, one records measure)
and times:

* kpiboard: ``ingest_project`` into a fresh DuckDB warehouse (read, check and resolve every
  row, load in one transaction), with a progress line now and then;
* DuckDB: ``CREATE TABLE t AS SELECT * FROM read_csv([...files])`` into a fresh DuckDB file
  (no checks).

    .venv/bin/python benchmarks/ingest_police_uk.py [--rows 50000000] [--tmpdir DIR]

Needs about 230 bytes of free disk per row (the CSVs plus both databases); it refuses to start
without them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REAL = sorted(Path("/work/shared/data/police-uk").glob("*-street.csv"))
BYTES_PER_ROW = 230  # CSV (~215) plus both databases, with room to spare
ROWS_PER_FILE = 9_700  # a force-month of the national volume, on average
FIRST_MONTH = (2014, 1)


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


# synthesis


def _templates(path: Path) -> tuple[str, list[str | None], list[str]]:
    """The header, each row's Crime ID without its first four characters (None when blank), and
    each row after "Falls within" (with its line break)."""
    with open(path, encoding="utf-8", newline="") as fh:
        header = fh.readline()
        suffixes: list[str | None] = []
        tails: list[str] = []
        for line in fh:
            crime_id, _month, _by, _within, tail = line.split(",", 4)
            suffixes.append(crime_id[4:] if crime_id else None)
            tails.append(tail)
    ids = [s for s in suffixes if s is not None]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"{path}: Crime IDs repeat once their first four characters are dropped")
    return header, suffixes, tails


def synthesise(data: Path, rows: int, months: int, forces: list[str]) -> list[Path]:
    templates = [_templates(p) for p in REAL]
    n_files = months * len(forces)
    base, extra = divmod(rows, n_files)
    paths: list[Path] = []
    written, started, k = 0, time.perf_counter(), 0
    for m in range(months):
        y, mo = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + m, 12)
        month = f"{y}-{mo + 1:02d}"
        header, suffixes, tails = templates[m % len(templates)]
        size = len(tails)
        for i, name in enumerate(forces):
            count = base + (1 if k < extra else 0)
            k += 1
            mid = f",{month},{name},{name},"
            start = (i * 7919 + m * 104729) % size  # each force-month its own slice
            out = [header]
            for j in range(start, start + count):
                q, r = divmod(j, size)
                suffix = suffixes[r]
                out.append(
                    (f"{i:02x}{q:02x}{suffix}" if suffix is not None else "") + mid + tails[r]
                )
            path = data / f"{month}-{name.lower().replace(' ', '-').replace('&', 'and')}-street.csv"
            path.write_text("".join(out), encoding="utf-8", newline="")
            paths.append(path)
            written += count
        if (m + 1) % 12 == 0 or m + 1 == months:
            print(
                f"  synthesised {written:,} rows in {len(paths):,} files "
                f"({time.perf_counter() - started:.0f}s)",
                flush=True,
            )
    return paths


def write_project(root: Path) -> None:
    (root / "measures").mkdir(parents=True, exist_ok=True)
    (root / "kpiboard.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "police.uk ingest benchmark",
                "organisation": "West Yorkshire Police",
                "builtin_organisations": "england-wales",
                "data": [],
                "sources": [
                    {"id": "street", "type": "police_uk_street", "files": ["data/*-street.csv"]}
                ],
            },
            sort_keys=False,
        )
    )
    (root / "measures" / "crime.yaml").write_text(
        yaml.safe_dump(
            {
                "measures": [
                    {
                        "id": "burglary",
                        "title": "Burglary",
                        "kind": "count",
                        "window": "month",
                        "polarity": "lower_is_better",
                        "records": {"source": "street", "where": {"crime_type": ["Burglary"]}},
                    }
                ]
            },
            sort_keys=False,
        )
    )


# the two children


def child_kpiboard(root: Path, out: Path) -> None:
    from kpiboard.catalogue import load_catalogue
    from kpiboard.warehouse import ingest_project

    cat = load_catalogue(root)
    started = time.perf_counter()
    last = [started]

    def progress(done: int, total: int, label: str) -> None:
        now = time.perf_counter()
        if now - last[0] >= 15 or (total and done >= total and label.startswith("wrote")):
            last[0] = now
            share = f"{done / total:6.1%}" if total else ""
            print(f"  kpiboard {now - started:6.0f}s {share} {label}", flush=True)

    summary = ingest_project(cat, progress=progress)
    seconds = time.perf_counter() - started
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "rows": summary.records,
                "files": len(summary.files),
                "peak_mib": peak_rss_mib(),
            }
        )
    )


def child_duckdb(root: Path, out: Path) -> None:
    import duckdb

    files = sorted(str(p) for p in (root / "data").glob("*-street.csv"))
    db = root.parent / "raw.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    started = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv([{listing}])")
    con.close()
    seconds = time.perf_counter() - started
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    con.close()
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "rows": rows,
                "files": len(files),
                "peak_mib": peak_rss_mib(),
                "duckdb": duckdb.__version__,
            }
        )
    )


def run_child(kind: str, root: Path) -> dict[str, float]:
    """Run one side in a child process: its time, rows, peak RSS, CPU seconds (all its threads)
    and the machine's load (1-minute average) when it ended."""
    out = root.parent / f"{kind}.json"
    before = os.times()
    subprocess.run([sys.executable, __file__, "--child", kind, "--root", str(root)], check=True)
    after = os.times()
    result: dict[str, float] = json.loads(out.read_text())
    result["cpu"] = (
        after.children_user - before.children_user + after.children_system - before.children_system
    )
    result["load"] = os.getloadavg()[0]
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument(
        "--months",
        type=int,
        default=0,
        help="months to spread the rows over (default: files of ~9,700 rows, at most 120)",
    )
    ap.add_argument(
        "--tmpdir", default=None, help="where to write (default: the system's temp dir)"
    )
    ap.add_argument("--child", choices=["kpiboard", "duckdb"], help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        (child_kpiboard if args.child == "kpiboard" else child_duckdb)(
            args.root, args.root.parent / f"{args.child}.json"
        )
        return 0

    from kpiboard.catalogue.orgs import builtin_forces

    if len(REAL) < 1:
        print("the real police.uk files are not in /work/shared/data/police-uk", file=sys.stderr)
        return 2
    where = Path(args.tmpdir or tempfile.gettempdir())
    need, free = args.rows * BYTES_PER_ROW, shutil.disk_usage(where).free
    if need > free * 0.9:
        print(
            f"Sorry: {args.rows:,} rows need about {need / 2**30:.1f} GiB of disk in {where}, and "
            f"only {free / 2**30:.1f} GiB is free. Try fewer --rows, or --tmpdir on a bigger disk.",
            file=sys.stderr,
        )
        return 1
    forces = [f.force_name for f in builtin_forces()]
    months = args.months or max(1, min(120, round(args.rows / (len(forces) * ROWS_PER_FILE))))
    import duckdb

    print(
        f"{dt.date.today()}  {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"DuckDB {duckdb.__version__}; {free / 2**30:.0f} GiB free in {where}"
    )
    print(
        f"{args.rows:,} rows: {len(forces)} forces x {months} months "
        f"= {len(forces) * months:,} files"
    )
    with tempfile.TemporaryDirectory(dir=where, prefix="kpiboard-police-uk-") as tmp:
        root = Path(tmp) / "proj"
        (root / "data").mkdir(parents=True)
        write_project(root)
        synthesise(root / "data", args.rows, months, forces)
        csv_bytes = sum(p.stat().st_size for p in (root / "data").iterdir())
        print(
            f"  {csv_bytes / 2**30:.2f} GiB of CSV ({csv_bytes / args.rows:.0f} bytes/row)",
            flush=True,
        )

        print("kpiboard ingest_project -> fresh DuckDB warehouse", flush=True)
        kpi = run_child("kpiboard", root)
        print("DuckDB CREATE TABLE t AS SELECT * FROM read_csv([...])", flush=True)
        raw = run_child("duckdb", root)
        children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        for label, r in (
            ("kpiboard ingest, fresh warehouse", kpi),
            ("DuckDB read_csv -> table", raw),
        ):
            if r["rows"] != args.rows:
                print(f"!! {label}: {r['rows']:,} rows, expected {args.rows:,}")
        print()
        print(
            f"{'':34s} {'rows':>12s} {'time':>9s} {'rows/s':>11s} {'peak RSS':>10s} "
            f"{'CPU (cores)':>15s} {'load':>5s}"
        )
        for label, r in (
            ("kpiboard ingest, fresh warehouse", kpi),
            ("DuckDB read_csv -> table", raw),
        ):
            print(
                f"{label:34s} {int(r['rows']):>12,} {r['seconds']:>8.1f}s "
                f"{r['rows'] / r['seconds']:>11,.0f} {r['peak_mib']:>7,.0f} MiB "
                f"{r['cpu']:>7.0f}s ({r['cpu'] / r['seconds']:.2f}) {r['load']:>5.2f}"
            )
        ratio = (kpi["rows"] / kpi["seconds"]) / (raw["rows"] / raw["seconds"])
        print(f"kpiboard / DuckDB throughput = {ratio:.2f}  (aim >= 0.80)")
        print(f"largest child peak RSS (getrusage) = {children_peak:,.0f} MiB  (aim < 4,096 MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
