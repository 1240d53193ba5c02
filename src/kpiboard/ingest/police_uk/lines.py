"""Line numbers: where each row pyarrow returned sits in its file (:class:`LineMap`), and the
line-by-line rescan that places the rows of a file whose line count does not add up.

Line numbers are physical lines, the header being line 1. pyarrow does not report them, so the
reader counts lines per batch; a file with a line pyarrow skips (the wrong number of fields) or
a value with a line break inside quotes is scanned again with the ``csv`` module, so that the
numbers in every message stay exact.
"""

from __future__ import annotations

import bisect
import csv
import io
import zipfile
import zlib
from dataclasses import dataclass, field

from kpiboard.ingest.police_uk.inputs import Input
from kpiboard.ingest.police_uk.layout import COLUMNS
from kpiboard.ingest.police_uk.stream import Utf8Stream


@dataclass
class LineMap:
    """Where each row pyarrow returned sits in the file: ``row + 2`` (header = line 1), plus
    an offset that grows past skipped lines and values with line breaks."""

    rows: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)

    def line(self, row: int) -> int:
        i = bisect.bisect_right(self.rows, row) - 1
        return row + 2 + (self.offsets[i] if i >= 0 else 0)


@dataclass
class Scan:
    """What a rescan found: where the rows sit, and the lines pyarrow could not take as rows."""

    line_map: LineMap
    rows: int  # rows pyarrow returns (blank lines included, as null rows)
    bad: list[tuple[int, int]]  # (line, fields) of the lines pyarrow skips
    multiline: list[tuple[int, int]]  # (first, last line) of rows with a line break in a value


def scan(inp: Input) -> Scan | None:
    """Read the file again with the csv module, line by line, for exact line numbers. Only run
    for a file whose line count does not add up, so its speed does not matter."""
    line_map, bad, multiline, row = LineMap(), [], [], 0
    try:
        with io.TextIOWrapper(
            io.BufferedReader(Utf8Stream(inp.open(), inp.display)),
            encoding="utf-8",
            errors="replace",
            newline="",
        ) as text:
            reader = csv.reader(text)
            next(reader, None)
            previous = reader.line_num
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                if len(cells) not in (0, len(COLUMNS)):  # pyarrow skips it (blank lines: null rows)
                    bad.append((start, len(cells)))
                    continue
                offset = start - row - 2
                if offset != (line_map.offsets[-1] if line_map.offsets else 0):
                    line_map.rows.append(row)
                    line_map.offsets.append(offset)
                if previous > start:
                    multiline.append((start, previous))
                row += 1
    except (csv.Error, OSError, zipfile.BadZipFile, zlib.error, EOFError):
        return None
    return Scan(line_map, row, bad, multiline)
