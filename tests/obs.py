"""Build observation tables and small catalogues in tests, without a warehouse."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import yaml

from kpiboard.catalogue import Catalogue, load_catalogue

SCHEMA = pa.schema(
    [
        ("org", pa.string()),
        ("measure", pa.string()),
        ("period_end", pa.date32()),
        ("months", pa.int32()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("value", pa.float64()),
        ("sample_size", pa.float64()),
        ("provisional", pa.bool_()),
        ("note", pa.string()),
        ("source", pa.string()),
    ]
)


def obs(rows: Iterable[dict[str, Any]]) -> ir.Table:
    """Rows as dicts with period_end 'YYYY-MM'; missing fields are null, months defaults to 1."""
    cols: dict[str, list[Any]] = {f.name: [] for f in SCHEMA}
    for r in rows:
        y, mth = (int(x) for x in r["period_end"].split("-"))
        for f in SCHEMA:
            if f.name == "period_end":
                cols[f.name].append(datetime.date(y, mth, 1))
            elif f.name == "months":
                cols[f.name].append(r.get("months", 1))
            else:
                cols[f.name].append(r.get(f.name))
    return ibis.memtable(pa.table(cols, schema=SCHEMA))


def monthly(
    org: str, measure: str, start: str, values: Iterable[float | None], **extra: Any
) -> list[dict[str, Any]]:
    """Consecutive monthly rows from ``start`` (YYYY-MM); None skips a month."""
    y, m = (int(x) for x in start.split("-"))
    out = []
    for v in values:
        if v is not None:
            out.append(
                {
                    "org": org,
                    "measure": measure,
                    "period_end": f"{y:04d}-{m:02d}",
                    "numerator": v,
                    **extra,
                }
            )
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def project(tmp: Path, measures: list[dict[str, Any]], **settings: Any) -> Catalogue:
    """Write a tiny project with orgs A, B, C (peer group 'all' = everyone) and load it."""
    cfg: dict[str, Any] = {
        "title": "Test board",
        "organisation": "A",
        "organisations": [{"id": o, "name": f"Force {o}"} for o in ("A", "B", "C")],
        "peer_groups": [{"id": "all", "name": "All forces", "members": "all"}],
    }
    cfg.update(settings)
    (tmp / "measures").mkdir(parents=True, exist_ok=True)
    (tmp / "kpiboard.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (tmp / "measures" / "m.yaml").write_text(
        yaml.safe_dump({"measures": measures}, sort_keys=False)
    )
    return load_catalogue(tmp)
