"""Reading observations: CSV files -> one validated Arrow table (no warehouse here).

>>> from kpiboard.ingest import read_observations  # doctest: +SKIP
>>> read_observations(catalogue).table.num_rows  # doctest: +SKIP
"""

from kpiboard.ingest.files import data_files, file_sha256
from kpiboard.ingest.read import MAX_ERRORS_PER_FILE, check_data, read_observations
from kpiboard.ingest.schema import (
    CSV_COLUMNS,
    KEY_COLUMNS,
    OBSERVATION_COLUMNS,
    OBSERVATION_SCHEMA,
    REQUIRED_COLUMNS,
    FileStamp,
    Progress,
    ReadResult,
    empty_observations,
)

__all__ = [
    "CSV_COLUMNS",
    "KEY_COLUMNS",
    "MAX_ERRORS_PER_FILE",
    "OBSERVATION_COLUMNS",
    "OBSERVATION_SCHEMA",
    "REQUIRED_COLUMNS",
    "FileStamp",
    "Progress",
    "ReadResult",
    "check_data",
    "data_files",
    "empty_observations",
    "file_sha256",
    "read_observations",
]
