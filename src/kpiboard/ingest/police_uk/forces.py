"""The "Falls within" column: each row's organisation, resolved through the catalogue once per
distinct name; rows of a name the source sets aside (e.g. British Transport Police) are
skipped and counted; a name the catalogue does not know, or a blank one, is an error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from kpiboard.ingest.org_names import OrgLookup
from kpiboard.ingest.police_uk.masks import both, first
from kpiboard.ingest.police_uk.state import FileState
from kpiboard.ingest.records import SourceSpec

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue


def _key(name: str) -> str:
    return name.casefold().strip()


class Forces:
    """The meanings of the "Falls within" names of one read (shared by the threads reading its
    files); rows set aside are counted in each file's ``set_aside``."""

    def __init__(self, catalogue: Catalogue, spec: SourceSpec) -> None:
        self.lookup = OrgLookup(catalogue, spec.set_aside, _key)

    def resolve(
        self, f: FileState, falls: pa.Array, keep: pa.Array | None, base: int
    ) -> tuple[pa.Array, pa.Array | None]:
        """Each row's organisation id (resolved once per distinct name), and which rows are set
        aside."""
        coded = pc.dictionary_encode(falls)
        names: list[str] = coded.dictionary.to_pylist()
        meanings = [self.lookup.resolve(name) for name in names]
        org = pa.array([m.org for m in meanings], pa.string()).take(coded.indices)
        for name, meaning in zip(names, meanings, strict=True):
            if meaning.unknown is not None and name not in f.names_reported:
                f.names_reported.add(name)
                f.add(
                    "error",
                    f"Falls within: {meaning.unknown.message}",
                    meaning.hint(),
                    row=base + int(pc.index(falls, name).as_py()),
                )
        if falls.null_count and None not in f.names_reported:
            row = first(both(pc.is_null(falls), keep))
            if row >= 0:
                f.names_reported.add(None)
                f.add(
                    "error",
                    "Falls within: is blank",
                    "give the force's name, as police.uk writes it (e.g. West Yorkshire Police)",
                    row=base + row,
                )
        asides = [
            name for name, meaning in zip(names, meanings, strict=True) if meaning.aside is not None
        ]
        if not asides:
            return org, None
        aside = pc.is_in(falls, value_set=pa.array(asides, pa.string()))
        for item in pc.value_counts(falls.filter(aside)).to_pylist():
            label = self.lookup.resolve(item["values"]).aside
            assert label is not None
            f.set_aside[label] = f.set_aside.get(label, 0) + int(item["counts"])
        return org, aside
