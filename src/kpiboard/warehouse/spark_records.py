"""police.uk street files read by Spark's own CSV reader, into a Spark warehouse's version
(docs/SPARK.md): the rows go from the files to the version's Parquet on Spark's workers, never
through the driver, checked there by the police.uk reader's checks written as Spark SQL.

Spark stamps the files (SHA-256, size, encoding, first line) with its binary reader, parses
them once to count, per file and "Falls within" name, the rows and what the checks look for,
then parses them again to write the records of the files new or changed into a staging
folder, where a Crime ID repeated in a month is looked for; only then are the records' files
moved into the version. Only small things reach the driver: the stamps, the counts, the
distinct names (resolved through the catalogue as the Python reader resolves them) and
whether a Crime ID repeats.

The Python reader (kpiboard.ingest.police_uk) stays the judge. Whenever Spark sees anything
that reader would refuse or warn about (a wrong header, a file that is not plain UTF-8, a
double quote anywhere, a line with the wrong number of fields, a blank or malformed Month, two
months in a file, a crime type not published, a blank Crime ID, an unknown or blank force, a
repeated Crime ID, a file without rows ...), or anything it is not sure of, nothing is written
and :func:`read_natively` says so: the load reads that source with the Python reader, which
gives the findings (file, line, field, hint) and the outcome exactly as before. Spark may be
stricter than the Python reader (a file it sends back may be accepted there), never laxer.

A double quote sends the file back because Spark reads with quoting off: each physical line
is then exactly one row, split at its commas, as pyarrow splits a file without quotes
(data.police.uk's files have none). Zip members (Spark cannot read zips), and files whose path
Spark would take for a pattern, are copied once into the staging folder (in the load's version
folder) and read from there; it is removed once the source is read.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpiboard.ingest.org_names import OrgLookup
from kpiboard.ingest.police_uk.forces import Forces
from kpiboard.ingest.police_uk.inputs import READ_ERRORS, Input, find_inputs
from kpiboard.ingest.police_uk.layout import (
    ASB,
    COLUMNS,
    CRIME_TYPES,
    READ_COLUMNS,
    SOURCE_TYPE,
    header_problem,
)
from kpiboard.ingest.records import RecordRead
from kpiboard.ingest.schema import FileStamp
from kpiboard.warehouse.tables import RECORDS

#: Off to read every police.uk source with the Python reader (for comparisons and benchmarks).
ENABLED = True
#: police.uk sources read so far in this process, by who read them ("spark", or "kpiboard" when
#: sent back to the Python reader): how the tests know which path was taken.
READ_BY: collections.Counter[str] = collections.Counter()
STAGING = "_staging_records"  # in the load's version folder
#: (file, name) groups beyond which a source is sent back to the Python reader (a force-month
#: file has one or two names; thousands mean a column holds something else).
MAX_GROUPS = 100_000
_BAD = "_kpiboard_bad"  # the raw line, when it does not have the header's 12 fields
_PATH = "_kpiboard_path"
# characters Spark (Hadoop) reads as a pattern or a scheme in a path: such files are staged
_PATTERN = set("*?[]{}\\:,")
_MONTH_RE = "^[0-9]{4}-(0[1-9]|1[0-2])$"  # (ASCII digits: stricter than Python's \d)


@dataclass(frozen=True)
class _File:
    number: int
    inp: Input
    local: Path  # what Spark reads: the file itself, or its staged copy
    spark: str = ""  # the path as Spark names it
    sha256: str = ""
    size: int = 0


@dataclass
class _Counts:
    """What the checks found in one file (summed over its "Falls within" names)."""

    rows: int = 0
    records: int = 0
    problems: int = 0
    months: tuple[str | None, str | None] = (None, None)
    aside: dict[str, int] = field(default_factory=dict)  # rows skipped, per name set aside


def read_natively(
    spark: Any,
    folder: Path,
    added: str,
    vintage: int,
    read: RecordRead,
    current: dict[str, str],
) -> int | None:
    """Read ``read``'s police.uk source with Spark: the records of its files new or changed
    since ``current`` (path -> SHA-256, the RecordGate's rule) added to the Parquet folder
    ``added`` of the load's version ``folder``, and ``read``'s files, rows and set-aside
    counts filled in as its reader would; the rows added. None, having added nothing, when
    the Python reader is to read the source."""
    spec = read.spec
    if not ENABLED or spec is None or read.catalogue is None or spec.type != SOURCE_TYPE:
        return None
    written = _read(spark, folder, added, vintage, read, current)
    READ_BY["spark" if written is not None else "kpiboard"] += 1
    return written


def _read(
    spark: Any,
    folder: Path,
    added: str,
    vintage: int,
    read: RecordRead,
    current: dict[str, str],
) -> int | None:
    spec, catalogue = read.spec, read.catalogue
    assert spec is not None and catalogue is not None
    found: list[Any] = []
    inputs = find_inputs(catalogue, spec, found)
    if found or not inputs:
        return None
    staging = folder / STAGING
    frame = None

    def step(done: int, what: str) -> None:  # (Spark says nothing while a job runs)
        if read.progress:
            read.progress(done, 3, f"Spark: {what} ({spec.id}, {len(inputs)} files)")

    try:
        files = _place(inputs, staging)
        if files is None:
            return None
        rows = staging / "records.parquet"
        with _every_column_parsed(spark):
            try:
                step(0, "stamping and checking the police.uk files")
                checked = _checked(spark, files, Forces(catalogue, spec).lookup)
                if checked is None:
                    return None
                files, frame, counts, names = checked
                # the RecordGate's rule: only files new or changed since the last vintage
                written = [f for f in files if current.get(f.inp.display) != f.sha256]
                if any(counts[f.spark].records for f in written):
                    step(1, "writing the records of the new and changed files")
                    records = _records(spark, frame, spec.id, vintage, written, names)
                    records.write.parquet(str(rows))
                    step(2, "looking for Crime IDs repeated in a month")
                    if _repeated(spark, str(rows), spec.id, files, written):
                        return None
                step(3, "read")
            except _spark_errors():
                return None  # the Python reader says what is wrong, or reads it
        _move(rows, Path(added))
        _fill(read, files, counts)
        return sum(counts[f.spark].records for f in written)
    finally:
        if frame is not None:
            frame.unpersist()
        shutil.rmtree(staging, ignore_errors=True)


def _spark_errors() -> tuple[type[BaseException], ...]:
    """What Spark raises when it cannot do what was asked (a file it cannot read, a query it
    cannot run): the source is then the Python reader's. The file system's own errors fail
    the load, as on the Python path."""
    from py4j.protocol import Py4JError  # type: ignore[import-untyped]
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JError)


@contextlib.contextmanager
def _every_column_parsed(spark: Any) -> Iterator[None]:
    """Spark's CSV reader parses only the columns a query needs unless told otherwise, and
    then misses lines with too many or too few fields."""
    key = "spark.sql.csv.parser.columnPruning.enabled"
    before = spark.conf.get(key, "true")
    spark.conf.set(key, "false")
    try:
        yield
    finally:
        spark.conf.set(key, before)


def _place(inputs: list[Input], staging: Path) -> list[_File] | None:
    """Where Spark reads each input: the file itself, or a copy in ``staging`` (a zip member,
    a path Spark would misread); None when a member cannot be copied (the reader says why)."""
    files = []
    for number, inp in enumerate(inputs):
        local = inp.path
        if local is None or _PATTERN & set(str(local)):
            if _PATTERN & set(str(staging)):
                return None  # (a location Spark would misread: the Python reader reads it)
            local = staging / f"{number:06d}.csv"
            staging.mkdir(parents=True, exist_ok=True)
            try:
                with inp.open() as source, local.open("wb") as copy:
                    shutil.copyfileobj(source, copy, 1 << 20)
            except READ_ERRORS:
                return None
        files.append(_File(number, inp, local))
    return files


def _stamped(spark: Any, files: list[_File]) -> list[_File] | None:
    """Each file's SHA-256, size and Spark path, from Spark's binary reader; None if any file
    is not plain UTF-8, holds a double quote (or a NUL), or does not start with the header."""
    from pyspark.sql import functions as F

    text = "CAST(content AS STRING)"
    rows = (
        spark.read.format("binaryFile")
        .load([str(f.local) for f in files])
        .select(
            # (as the CSV reader names the file: URL-encoded, where "path" is not)
            F.col("_metadata.file_path").alias("path"),
            "length",
            F.sha2("content", 256).alias("sha256"),
            F.expr(f"is_valid_utf8({text})").alias("utf8"),
            F.expr("contains(content, X'22') OR contains(content, X'00')").alias("odd"),
            F.expr(f"regexp_extract(substring({text}, 1, 8192), '^([^\\r\\n]*)', 1)").alias("top"),
        )
        .collect()
    )
    by_local = {str(f.local): f for f in files}
    out: dict[int, _File] = {}
    for r in rows:
        f = by_local.get(urllib.parse.unquote(urllib.parse.urlparse(r["path"]).path))
        if f is None or not r["utf8"] or r["odd"]:
            return None
        if header_problem(r["top"].removeprefix("\ufeff")) is not None:
            return None
        out[f.number] = _File(f.number, f.inp, f.local, r["path"], r["sha256"], int(r["length"]))
    return [out[f.number] for f in files] if len(out) == len(files) else None


def _checked(
    spark: Any, files: list[_File], lookup: OrgLookup
) -> tuple[list[_File], Any, dict[str, _Counts], dict[str, str]] | None:
    """The files (stamped), their rows (parsed once, kept by Spark for the write: memory, then
    disk), what each file holds, and the "Falls within" names that are read (name ->
    organisation id); None when the Python reader is to read them."""
    from pyspark import StorageLevel

    stamped = _stamped(spark, files)
    if stamped is None:
        return None
    frame = _parse(spark, [str(f.local) for f in stamped]).persist(StorageLevel.MEMORY_AND_DISK)
    counted = None
    try:
        counted = _counted(frame, stamped, lookup)
    finally:
        if counted is None:
            frame.unpersist()
    return None if counted is None else (stamped, frame, *counted)


def _counted(
    frame: Any, stamped: list[_File], lookup: OrgLookup
) -> tuple[dict[str, _Counts], dict[str, str]] | None:
    """Per file, its rows, records, rows set aside and problems; the names read."""
    from pyspark.sql import functions as F

    groups = (
        frame.groupBy(_PATH, "falls")
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.count(F.when(F.col("problem"), 1)).alias("problems"),
            F.min("month").alias("first"),
            F.max("month").alias("last"),
        )
        .limit(MAX_GROUPS + 1)
        .collect()
    )
    if len(groups) > MAX_GROUPS:
        return None
    names = {}
    by_path = {f.spark: f for f in stamped}
    counts: dict[str, _Counts] = {f.spark: _Counts() for f in stamped}
    for g in groups:
        name = g["falls"]
        meaning = lookup.resolve(name) if name is not None else None
        if meaning is None or meaning.unknown is not None or g[_PATH] not in by_path:
            return None
        c = counts[g[_PATH]]
        c.rows += g["rows"]
        c.problems += g["problems"]
        months = {c.months[0], g["first"], g["last"]} - {None}
        c.months = (min(months), max(months)) if months else (None, None)
        if meaning.org is not None:
            names[name] = meaning.org
            c.records += g["rows"]
        elif meaning.aside is not None:
            c.aside[meaning.aside] = c.aside.get(meaning.aside, 0) + g["rows"]
    for c in counts.values():
        if c.rows == 0 or c.problems or c.months[0] is None or c.months[0] != c.months[1]:
            return None  # no rows, or something the reader would say
    return counts, names


def _parse(spark: Any, paths: list[str]) -> Any:
    """The files' rows that are not blank, as Spark's CSV reader reads them with quoting off,
    with the columns a record keeps, the file and whether the row has a problem the reader
    would report."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType(
        [StructField(c, StringType()) for c in (*COLUMNS, _BAD)]  # every column a string
    )
    frame = spark.read.csv(
        paths,
        schema=schema,
        header=True,
        enforceSchema=True,  # (the header was checked above)
        quote="",  # quoting off: a line is a row (files with quotes were sent back)
        mode="PERMISSIVE",
        columnNameOfCorruptRecord=_BAD,
    ).where(~_blank())  # a blank line, or one of empty cells: skipped, as the reader does
    month, crime_type, crime_id = F.col("Month"), F.col("`Crime type`"), F.col("`Crime ID`")
    problem = (
        F.col(_BAD).isNotNull()
        | month.isNull()
        | ~month.rlike(_MONTH_RE)
        | crime_type.isNull()
        | ~crime_type.isin(*sorted(CRIME_TYPES))
        | (crime_id.isNull() & (crime_type != ASB))
        | F.col("`Falls within`").isNull()
    )
    return frame.select(
        F.col("_metadata.file_path").alias(_PATH),
        F.col("`Falls within`").alias("falls"),
        month.alias("month"),
        crime_id.alias("record_id"),
        crime_type.alias("crime_type"),
        F.col("`Last outcome category`").alias("outcome"),
        F.col("`LSOA code`").alias("lsoa_code"),
        F.coalesce(problem, F.lit(True)).alias("problem"),
    )


def _blank() -> Any:
    from pyspark.sql import functions as F

    blank = F.col(_BAD).isNull()
    for column in READ_COLUMNS:
        blank = blank & F.col(f"`{column}`").isNull()
    return blank


def _records(
    spark: Any, frame: Any, source: str, vintage: int, files: list[_File], names: dict[str, str]
) -> Any:
    """The records of ``files`` (stamped) among the rows of ``frame``, as the records table
    has them."""
    from pyspark.sql import functions as F

    which = spark.createDataFrame(
        [(f.spark, f.inp.display) for f in files], f"{_PATH} string, _file string"
    )
    orgs = spark.createDataFrame(list(names.items()), "_name string, _org string")
    null = F.lit(None).cast("string")
    return (
        frame.join(F.broadcast(which), _PATH)
        .join(F.broadcast(orgs), F.col("falls") == F.col("_name"))  # (names set aside: none)
        .select(
            F.lit(source).alias("source"),
            F.col("_org").alias("org"),
            F.to_date(F.concat(F.col("month"), F.lit("-01"))).alias("period_end"),
            F.lit(1).cast("int").alias("months"),
            "record_id",
            "crime_type",
            "outcome",
            "lsoa_code",
            null.alias("offence_code"),
            null.alias("offence_group"),
            null.alias("offence_subgroup"),
            F.lit(1.0).cast("double").alias("weight"),
            F.col("_file").alias("file"),
            F.lit(vintage).cast("int").alias("vintage_from"),
            F.lit(None).cast("int").alias("vintage_to"),
        )
    )


def _repeated(spark: Any, rows: str, source: str, files: list[_File], written: list[_File]) -> bool:
    """Whether a Crime ID comes twice in a month among the source's records: those just
    written to ``rows`` and the current ones of its unchanged files (the reader's check, on
    the rows it keeps). Compared by a 64-bit hash: a collision sends the source back too."""
    from pyspark.sql import functions as F

    records = spark.read.parquet(rows).select("period_end", "record_id")
    kept = sorted({f.inp.display for f in files} - {f.inp.display for f in written})
    if kept:
        names = spark.createDataFrame([(k,) for k in kept], "file string")
        stored = (
            spark.table(RECORDS)
            .where((F.col("source") == source) & F.col("vintage_to").isNull())
            .join(F.broadcast(names), "file", "left_semi")
            .select("period_end", "record_id")
        )
        records = records.unionByName(stored)
    found = (
        records.where(F.col("record_id").isNotNull())
        .groupBy(F.xxhash64("period_end", "record_id").alias("h"))
        .count()
        .where(F.col("count") > 1)
        .limit(1)
        .collect()
    )
    return bool(found)


def _move(rows: Path, added: Path) -> None:
    """The records' Parquet files into the version's ``added`` folder (renamed, not copied)."""
    if not rows.is_dir():
        return
    added.mkdir(parents=True, exist_ok=True)
    for part in rows.glob("part-*"):
        os.replace(part, added / part.name)


def _fill(read: RecordRead, files: list[_File], counts: dict[str, _Counts]) -> None:
    """``read``'s files (stamps in month order), rows and rows set aside, as its reader would
    give them."""
    order = sorted(files, key=lambda f: (counts[f.spark].months[0] or "", f.inp.display))
    read.files = [
        FileStamp(f.inp.display, f.sha256, f.size, counts[f.spark].records) for f in order
    ]
    read.rows = sum(c.records for c in counts.values())
    read.set_aside = {}
    for f in order:
        for label, count in counts[f.spark].aside.items():
            read.set_aside[label] = read.set_aside.get(label, 0) + count
    read.warnings = []
    read.read_by = "spark"
