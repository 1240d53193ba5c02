"""Are the outputs of every example byte-identical to those of another commit?

A reshaping of the code must not change one byte of what users see. This script runs the same
commands (every example's scorecard in every format at several months and organisations, the
league tables, `validate`, and `spc` over a fixed series in every format and option) with the
code of a base commit and with the working tree's, each time on a fresh copy of the examples
at the same path, and compares stdout, stderr and the exit code byte for byte.

    .venv/bin/python benchmarks/same_outputs.py                 # against HEAD
    .venv/bin/python benchmarks/same_outputs.py --base 6466237  # against any commit
    .venv/bin/python benchmarks/same_outputs.py --keep /tmp/outs  # keep both sets of outputs

Exit 0 when everything is identical, 1 (listing the differences) otherwise. Run by hand (it
takes a few minutes: about 90 commands per side); not part of the test run.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("table", "json", "csv", "md", "html")
MET = "examples/met-cpa-2009-10"
WY = "examples/west-yorkshire-police-uk"
EW = "examples/england-wales-2017-18"

# a fixed monthly series for `kpiboard spc`: a shift after month 20, one outlier
SERIES = [
    ("2019-04", 102),
    ("2019-05", 98),
    ("2019-06", 105),
    ("2019-07", 99),
    ("2019-08", 101),
    ("2019-09", 97),
    ("2019-10", 103),
    ("2019-11", 100),
    ("2019-12", 96),
    ("2020-01", 104),
    ("2020-02", 99),
    ("2020-03", 102),
    ("2020-04", 98),
    ("2020-05", 131),
    ("2020-06", 100),
    ("2020-07", 101),
    ("2020-08", 97),
    ("2020-09", 103),
    ("2020-10", 99),
    ("2020-11", 100),
    ("2020-12", 92),
    ("2021-01", 90),
    ("2021-02", 91),
    ("2021-03", 89),
    ("2021-04", 93),
    ("2021-05", 90),
    ("2021-06", 88),
    ("2021-07", 91),
    ("2021-08", 90),
    ("2021-09", 89),
]


def commands() -> list[list[str]]:
    """Every command whose output must not change."""
    cmds: list[list[str]] = []
    for project in (MET, WY, EW):
        cmds.append(["validate", project])
    reports = [
        (MET, ["--as-of", "2009-04"]),
        (MET, ["--as-of", "2009-08"]),
        (MET, ["--as-of", "2010-03"]),
        (MET, ["--as-of", "2009-08", "--org", "Greater Manchester"]),
        (WY, ["--as-of", "2017-07"]),
        (EW, ["--as-of", "2018-03", "--org", "Avon and Somerset"]),
        (EW, ["--as-of", "2018-03", "--org", "West Yorkshire"]),
        (EW, ["--as-of", "2017-09", "--org", "Avon and Somerset"]),
    ]
    for project, args in reports:
        for fmt in FORMATS:
            cmds.append(["report", project, *args, "--format", fmt])
    leagues = [
        (EW, ["--as-of", "2018-03", "--measure", "total_crime_rate"]),
        (EW, ["--as-of", "2018-03", "--measure", "serious_acquisitive"]),
        (MET, ["--as-of", "2009-08", "--measure", "knife_crime"]),
        (MET, ["--as-of", "2009-08", "--measure", "confidence_asb", "--group", "msf"]),
    ]
    for project, args in leagues:
        for fmt in FORMATS:
            cmds.append(["report", project, *args, "--org", "all", "--format", fmt])
    spc_options = [
        [],
        ["--direction", "decrease", "--target", "95"],
        ["--direction", "neutral"],
        ["--rebase", "2020-12"],
        ["--fix-after", "12", "--no-screen"],
    ]
    for options in spc_options:
        for fmt in ("json", "csv", "svg"):
            cmds.append(["spc", "series.csv", *options, "--format", fmt])
    return cmds


def source_of(base: str, into: Path) -> Path:
    """The tree of ``base`` unpacked into ``into`` (git archive: no worktree bookkeeping)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", base],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_all(tree: Path, work: Path, out: Path) -> dict[str, bytes]:
    """Run every command with ``tree``'s code on a fresh copy of the examples at ``work``."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(
        tree / "examples", work / "examples", ignore=shutil.ignore_patterns(".kpiboard", "out")
    )
    (work / "series.csv").write_text(
        "date,value\n" + "".join(f"{d},{v}\n" for d, v in SERIES), encoding="utf-8"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(tree / "src"),
        "COLUMNS": "120",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "PYTHONHASHSEED": "0",
    }
    env.pop("FORCE_COLOR", None)
    cmds = commands()
    # warm each project's warehouse first, one at a time (reports ingest when stale)
    for project in (MET, WY, EW):
        subprocess.run(
            [sys.executable, "-m", "kpiboard", "ingest", project],
            cwd=work,
            env=env,
            capture_output=True,
            check=False,
        )

    def one(i_cmd: tuple[int, list[str]]) -> tuple[str, bytes]:
        i, cmd = i_cmd
        p = subprocess.run(
            [sys.executable, "-m", "kpiboard", *cmd],
            cwd=work,
            env=env,
            capture_output=True,
            check=False,
        )
        key = f"{i:03d} kpiboard {' '.join(cmd)}"
        blob = (
            f"exit {p.returncode}\n--- stdout\n".encode() + p.stdout + b"\n--- stderr\n" + p.stderr
        )
        return key, blob

    # commands on one project run in turn (a DuckDB file takes one writer); projects in parallel
    lanes: dict[str, list[tuple[int, list[str]]]] = {}
    for i, cmd in enumerate(cmds):
        lanes.setdefault(cmd[1] if cmd[1].startswith("examples/") else "", []).append((i, cmd))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda lane: [one(c) for c in lane], lanes.values())
        results = dict(sorted(r for lane in done for r in lane))
    out.mkdir(parents=True, exist_ok=True)
    for key, blob in results.items():
        (out / (key.split(" ")[0] + ".txt")).write_bytes(key.encode() + b"\n" + blob)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="HEAD", help="the commit to compare with (default HEAD)")
    ap.add_argument("--keep", type=Path, help="keep both sets of outputs in this folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpiboard-same-") as tmp_name:
        tmp = Path(tmp_name)
        keep = args.keep or tmp / "outputs"
        base_tree = source_of(args.base, tmp / "base")
        work = tmp / "work"
        print(f"running {len(commands())} commands with {args.base} ...", flush=True)
        before = run_all(base_tree, work, keep / "base")
        print("running them with the working tree ...", flush=True)
        after = run_all(ROOT, work, keep / "tree")
        differ = [k for k in before if before[k] != after.get(k)]
        failed = [k for k in before if not before[k].startswith(b"exit 0\n")]
        for key in differ:
            print(f"DIFFERENT: {key}")
            a = before[key].decode(errors="replace").splitlines()
            b = after[key].decode(errors="replace").splitlines()
            for line in list(difflib.unified_diff(a, b, "base", "tree", lineterm="", n=1))[:20]:
                print("    " + line)
        print(
            f"{len(before) - len(differ)} identical, {len(differ)} different "
            f"({len(failed)} of the commands exit non-zero on the base: "
            f"{', '.join(k.split(' ')[0] for k in failed) or 'none'})"
        )
        if args.keep:
            print(f"outputs kept in {keep}/base and {keep}/tree")
        return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
