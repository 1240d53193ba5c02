"""Benchmark: what keeping every load as a vintage costs (docs/VINTAGES.md).

``monthly``: 24 monthly loads of a West Yorkshire-like street data set (a month file a load,
synthesised from the example's July 2017 file with its Month changed, ~30,000 rows each), then
3 revisions of past months (1% of a month's rows dropped, 1% reclassified), against one load of
the same final files into a new warehouse: ingest time, warehouse size, rows stored.

``engine``: the engine benchmark's cube (benchmarks/engine_windows.py, 154,800 rows) read as a
table without vintage columns, and through the Warehouse's filter on the current vintage (the
same rows with ``vintage_from``/``vintage_to``, 10% of them revised twice), best of N.

    PYTHONPATH=src .venv/bin/python benchmarks/vintages.py [monthly|engine] [--months 24]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb
import ibis
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "west-yorkshire-police-uk"
TEMPLATE_MONTH = "2017-07"


def _template() -> str:
    [archive] = (EXAMPLE / "data").glob("*.zip")
    with zipfile.ZipFile(archive) as z:
        return z.read(f"{TEMPLATE_MONTH}-west-yorkshire-street.csv").decode("utf-8-sig")


def _month(i: int) -> str:
    y, m = divmod(2016 * 12 + i, 12)
    return f"{y}-{m + 1:02d}"


def _write_month(data: Path, template: str, i: int) -> Path:
    month = _month(i)
    path = data / f"{month}-west-yorkshire-street.csv"
    path.write_text(template.replace(f",{TEMPLATE_MONTH},", f",{month},"), encoding="utf-8")
    return path


def _revise(path: Path, seed: int) -> None:
    """Drop 1% of a month's rows and move another 1% to another crime type."""
    header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [r for k, r in enumerate(rows) if (k + seed) % 100 != 0]
    out = io.StringIO()
    out.write(header)
    for k, row in enumerate(kept):
        if (k + seed) % 100 == 50 and ",Burglary," in row:
            row = row.replace(",Burglary,", ",Criminal damage and arson,")
        out.write(row)
    path.write_text(out.getvalue(), encoding="utf-8")


def _project(root: Path) -> None:
    shutil.copytree(EXAMPLE / "measures", root / "measures")
    config = yaml.safe_load((EXAMPLE / "kpiboard.yaml").read_text())
    config["sources"][0]["files"] = ["data/*.csv"]
    (root / "data").mkdir(parents=True)
    (root / "kpiboard.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def _size(root: Path) -> tuple[float, int, int]:
    """The warehouse file's MiB after a checkpoint, the records stored and those current."""
    path = root / ".kpiboard" / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CHECKPOINT")
    stored, current = con.execute(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE vintage_to IS NULL) FROM kpiboard_records"
    ).fetchall()[0]
    con.close()
    return path.stat().st_size / 2**20, int(stored), int(current)


def monthly(months: int) -> None:
    from kpiboard.catalogue import load_catalogue
    from kpiboard.warehouse import ingest_project

    template = _template()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "monthly"
        _project(root)
        total = 0.0
        for i in range(months):
            _write_month(root / "data", template, i)
            t0 = time.perf_counter()
            summary = ingest_project(load_catalogue(root))
            total += time.perf_counter() - t0
            assert summary.vintage == i + 1
        mib, stored, current = _size(root)
        print(
            f"{months} monthly loads: {total:.1f}s in all, last {time.perf_counter() - t0:.2f}s; "
            f"{mib:.1f} MiB, {stored:,} records stored, {current:,} current"
        )
        for r, i in enumerate((months - 1, months - 2, months // 2)):
            _revise(root / "data" / f"{_month(i)}-west-yorkshire-street.csv", r)
            t0 = time.perf_counter()
            summary = ingest_project(load_catalogue(root))
            spent = time.perf_counter() - t0
            total += spent
            [street] = summary.changes
            print(
                f"  revision of {_month(i)}: vintage {summary.vintage} in {spent:.2f}s, "
                f"{[(m.month, str(m.kind), m.largest) for m in street.months]}"
            )
        mib, stored, current = _size(root)
        print(
            f"+ 3 revisions: {total:.1f}s in all; {mib:.1f} MiB, {stored:,} records stored, "
            f"{current:,} current"
        )

        once = Path(tmp) / "once"
        _project(once)
        for f in (root / "data").iterdir():
            shutil.copy(f, once / "data" / f.name)
        t0 = time.perf_counter()
        ingest_project(load_catalogue(once))
        spent = time.perf_counter() - t0
        mib, stored, current = _size(once)
        print(
            f"one load of the same {months} files: {spent:.1f}s; {mib:.1f} MiB, "
            f"{stored:,} records stored"
        )


def _best(fn, repeat: int):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def engine(repeat: int) -> None:
    from engine_windows import cube, scorecard_project

    from kpiboard.assemble import assemble_scorecard
    from kpiboard.catalogue import load_catalogue
    from kpiboard.periods import parse_month
    from kpiboard.warehouse import Warehouse
    from kpiboard.warehouse.windows import window_table

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        data = cube()  # noqa: F841 - read by DuckDB by name
        proj = scorecard_project(tmp / "proj")
        path = tmp / "proj" / "wh.duckdb"
        raw = duckdb.connect(str(path))
        raw.execute("CREATE TABLE obs AS SELECT * FROM data")
        Warehouse.from_url(f"duckdb://{tmp / 'v.duckdb'}").close()  # the DDL of today
        raw.execute(f"ATTACH '{tmp / 'v.duckdb'}' AS v")
        raw.execute(
            "INSERT INTO v.kpiboard_observations SELECT * REPLACE (coalesce(source, 'cube') AS source), 1, NULL FROM data"
        )
        # 10% of rows revised at vintages 2 and 3: old rows closed, new ones current
        for v in (2, 3):
            raw.execute(
                f"INSERT INTO v.kpiboard_observations SELECT * EXCLUDE (vintage_from, vintage_to), "
                f"{v}, NULL FROM v.kpiboard_observations WHERE vintage_to IS NULL "
                f"AND hash(org, measure, period_end) % 10 = 0"
            )
            raw.execute(
                f"UPDATE v.kpiboard_observations SET vintage_to = {v} WHERE vintage_to IS NULL "
                f"AND vintage_from < {v} AND hash(org, measure, period_end) % 10 = 0"
            )
        raw.execute(
            "INSERT INTO v.kpiboard_vintages SELECT v, now(), 'bench', '', 0, 0, 0, '[]' "
            "FROM range(1, 4) t(v)"
        )
        raw.close()
        shutil.copy(tmp / "v.duckdb", tmp / "proj" / "v.duckdb")
        plain = ibis.duckdb.connect(str(path)).table("obs")
        wh = Warehouse.from_url(f"duckdb://{tmp / 'proj' / 'v.duckdb'}")
        current = wh.observations()
        assert current.count().to_pyarrow().as_py() == plain.count().to_pyarrow().as_py()
        t_plain, _ = _best(lambda: window_table(plain, 4).to_pyarrow(), repeat)
        t_cur, _ = _best(lambda: window_table(current, 4).to_pyarrow(), repeat)
        print(
            f"window sums: plain table {t_plain:.3f}s, current vintage {t_cur:.3f}s "
            f"({t_cur / t_plain:.2f}x)"
        )
        cat = load_catalogue(proj)
        month = parse_month("2009-08")
        t_plain, _ = _best(lambda: assemble_scorecard(cat, plain, month, "org00"), repeat)
        t_cur, _ = _best(lambda: assemble_scorecard(cat, current, month, "org00"), repeat)
        t_old, _ = _best(
            lambda: assemble_scorecard(cat, wh.at(1).observations(), month, "org00"), repeat
        )
        print(
            f"one scorecard: plain table {t_plain:.3f}s, current vintage {t_cur:.3f}s "
            f"({t_cur / t_plain:.2f}x), vintage 1 {t_old:.3f}s ({t_old / t_plain:.2f}x)"
        )
        wh.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("part", choices=["monthly", "engine"])
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if args.part == "monthly":
        monthly(args.months)
    else:
        engine(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
