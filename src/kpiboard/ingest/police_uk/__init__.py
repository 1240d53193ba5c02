"""Reading data.police.uk street-level crime files into record batches (no warehouse here).

A source's files are police.uk ``*-street.csv`` files, given as CSVs or inside ``.zip``
archives (every ``*street.csv`` member is read), in the official layout::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,
    Crime type,Last outcome category,Context

How it reads, and why:

* **Batches.** Each file is parsed by ``pyarrow.csv.open_csv`` in blocks (every column read
  as a string, only the six columns kept being converted); each batch is checked and turned
  into :data:`~kpiboard.ingest.records.RECORD_SCHEMA` with vectorised pyarrow compute. Python
  runs once per batch and once per *distinct* value (organisation names, months, crime
  types), never once per row. A file of up to ``WHOLE_FILE`` (32 MiB) is decoded whole
  first (and, with no double quote in it, parsed without looking for line breaks inside
  values, twice as fast); a bigger one, or one that cannot be decoded or parsed whole, is
  streamed. The batches are the same either way.
* **Several files at once.** ``workers`` files (default: one per core, at least 2) are read
  at once in threads (pyarrow parses and computes without the GIL), up to ``AHEAD_BYTES``
  (64 MiB) of files ahead of the one being handed on, each into its own state; the read takes
  them in file order, so batches, findings and their order are those of a read one file at a
  time (``workers=1``). Memory is bounded by the files read ahead plus one month's Crime IDs.
* **Months.** Files are read in month order (the month of each file's first row is peeked
  first), so the duplicate Crime ID check, which spans every file of a month, holds only the
  current month's IDs.
* **Encodings** as the tidy CSV reader: UTF-8 with or without a byte-order mark; a file that
  is not UTF-8 is read as Windows-1252 with a warning naming the line of the first byte that is
  not UTF-8. A file that mixes UTF-8 and other bytes is an error (it cannot be decoded right).
* **Line numbers** are physical lines, the header being line 1. pyarrow does not report them,
  so they are counted per batch; a file whose line count does not add up (a line with the
  wrong number of fields, a value with a line break inside quotes) is scanned again line by
  line with the ``csv`` module, so the numbers in every message stay exact.
* **Errors** are collected, up to ``MAX_ERRORS_PER_FILE`` per file, for every file, and raised
  together as :class:`~kpiboard.errors.ValidationFailed` at the end of the iteration. No batch
  is yielded after the first error, so a loader writing the batches in a transaction rolls
  back and nothing lands. Each finding names the file (project-relative; ``x.zip:member`` for
  zips), the line, the police.uk column (as the message's prefix) and a hint.

The modules, in the order a read uses them: ``layout`` (the header, the published crime
types), ``inputs`` (files and zip members, the month each starts with), ``stream`` (bytes to
UTF-8, line counting), ``reader`` (the read, batch by batch), ``state`` (what is kept about
the file being read), ``checks``, ``forces`` ("Falls within") and ``crime_ids`` (duplicates)
on each batch, ``masks`` (the row masks they share), ``lines`` (placing rows on their lines).

>>> spec = SourceSpec("street", "police_uk_street", ["data/police-uk/*.csv"])  # doctest: +SKIP
>>> read_police_uk(catalogue, spec).read_all().num_rows  # doctest: +SKIP
"""

from kpiboard.ingest.police_uk.layout import (
    ASB,
    COLUMNS,
    CRIME_TYPES,
    HEADER_LINE,
    READ_COLUMNS,
    SOURCE_TYPE,
)
from kpiboard.ingest.police_uk.reader import DEFAULT_BLOCK_SIZE, read_police_uk

__all__ = [
    "ASB",
    "COLUMNS",
    "CRIME_TYPES",
    "DEFAULT_BLOCK_SIZE",
    "HEADER_LINE",
    "READ_COLUMNS",
    "SOURCE_TYPE",
    "read_police_uk",
]
