"""Organisations: the built-in table of police forces, name normalisation, and lookups.

Every spelling of an organisation (its id, name and aliases) is matched after
:func:`normalise_org_name`, which ignores case, accents, spacing and punctuation, reads "&" as
"and", joins dotted initials ("W.Y.P." = "WYP") and turns the ONS inverted form "London, City of"
into "City of London". So "Avon & Somerset", "Avon and Somerset" and "avon-and-somerset" are
one name.

The built-in table ``england-wales`` is the 43 territorial police forces of England and Wales,
shipped as ``data/forces.csv``: id = the ONS police force area code (E23000001 ... W15000004),
name = the ONS police force area name, and as aliases every spelling the public files use (the
force's own name as data.police.uk writes it in "Reported by"/"Falls within", the data.police.uk
force id, the Home Office recorded-crime "Force Name", the 2011 census name) and a few common
short forms (MPS, GMP, WMP, WYP, ...).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from kpiboard.catalogue.schema import BuiltinTable, Organisation
from kpiboard.errors import KpiboardError

BUILTIN_TABLES: tuple[BuiltinTable, ...] = ("england-wales",)
FORCES_FILE = "forces.csv"

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_INITIALS = re.compile(r"\b[a-z](?:\.[a-z])+\b\.?")  # "W.Y.P." -> "wyp"
_INVERTED = re.compile(r"^(?P<head>[^,]+),(?P<tail>[^,]*\bof)$")  # "London, City of"


def normalise_org_name(text: str) -> str:
    """The form in which organisation names are compared.

    >>> normalise_org_name("Avon & Somerset") == normalise_org_name("avon-and-somerset")
    True
    >>> normalise_org_name("London, City of")
    'city of london'
    >>> normalise_org_name("  Dyfed-Powys ")
    'dyfed powys'
    >>> normalise_org_name("W.Y.P.")
    'wyp'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()
    inverted = _INVERTED.match(plain)
    if inverted:
        plain = f"{inverted['tail']} {inverted['head']}"
    plain = _APOSTROPHES.sub("", plain.replace("&", " and "))
    plain = _INITIALS.sub(lambda m: m[0].replace(".", ""), plain)
    return " ".join(_NOT_WORD.sub(" ", plain).split())


@dataclass(frozen=True)
class Force:
    """One territorial police force, as the built-in table describes it."""

    id: str  # ONS police force area code
    name: str  # ONS police force area name
    force_name: str  # the force's own name, as data.police.uk writes it
    police_uk_id: str  # data.police.uk's force id ("metropolitan")
    prc_name: str  # the Home Office recorded-crime table's "Force Name"
    census_2011_name: str  # the 2011 census tables' police force area name
    country: Literal["England", "Wales"]
    msf_2008_09_peers: tuple[str, ...]  # ids of the 2008/09 most similar forces, where recorded
    aliases: tuple[str, ...]  # every other spelling, the above included

    def organisation(self) -> Organisation:
        return Organisation(id=self.id, name=self.name, aliases=list(self.aliases))


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _dedup(names: Iterable[str], besides: Iterable[str] = ()) -> tuple[str, ...]:
    """``names`` in order, dropping any whose normalised form is already among ``besides``
    or an earlier name."""
    seen = {normalise_org_name(b) for b in besides}
    out = []
    for name in names:
        key = normalise_org_name(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)


@lru_cache(maxsize=1)
def builtin_forces() -> tuple[Force, ...]:
    """The 43 territorial forces of England and Wales, in ONS code order."""
    text = (
        resources.files("kpiboard.catalogue")
        .joinpath("data", FORCES_FILE)
        .read_text(encoding="utf-8")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    by_name: dict[str, str] = {}
    for row in rows:
        for col in ("ons_pfa_name", "force_name", "prc_force_name"):
            by_name[normalise_org_name(row[col])] = row["ons_pfa_code"]
    forces = []
    for row in rows:
        country = row["country"]
        if country not in ("England", "Wales"):
            raise KpiboardError(
                f"built-in {FORCES_FILE}: {row['ons_pfa_code']} has country {country!r}"
            )
        peers = tuple(by_name[normalise_org_name(p)] for p in _split(row["msf_2008_09_peers"]))
        spellings = [
            row["ons_pfa_name"],
            row["force_name"],
            row["data_police_uk_id"],
            row["prc_force_name"],
            row["census_2011_name"],
            *_split(row["aliases"]),
        ]
        forces.append(
            Force(
                id=row["ons_pfa_code"],
                name=row["ons_pfa_name"],
                force_name=row["force_name"],
                police_uk_id=row["data_police_uk_id"],
                prc_name=row["prc_force_name"],
                census_2011_name=row["census_2011_name"],
                country="Wales" if country == "Wales" else "England",
                msf_2008_09_peers=peers,
                aliases=_dedup(spellings, besides=(row["ons_pfa_code"], row["ons_pfa_name"])),
            )
        )
    return tuple(forces)


def builtin_organisations(table: BuiltinTable) -> list[Organisation]:
    """The organisations of a built-in table (``england-wales``: the 43 forces)."""
    if table != "england-wales":
        raise KpiboardError(
            f"unknown built-in organisations {table!r}", hint="known: " + ", ".join(BUILTIN_TABLES)
        )
    return [force.organisation() for force in builtin_forces()]


def merge_organisations(
    builtin: Sequence[Organisation], declared: Sequence[Organisation]
) -> list[Organisation]:
    """The built-in organisations extended by a project's own list.

    A declared organisation with a built-in's id extends it: its ``name`` (when given) becomes
    the display name, the built-in name stays an alias, and its aliases are added to the
    built-in ones (which cannot be removed). Any other declared organisation is added after the
    built-ins, in file order. A second declaration of one id is ignored here (the rules report it).
    """
    merged: dict[str, Organisation] = {org.id: org for org in builtin}
    base = set(merged)
    done: set[str] = set()
    for org in declared:
        if org.id in done:
            continue
        done.add(org.id)
        if org.id in base:
            old = merged[org.id]
            name = org.name or old.name or org.id
            aliases = _dedup([old.name or "", *old.aliases, *org.aliases], besides=(org.id, name))
            merged[org.id] = Organisation(id=org.id, name=name, aliases=list(aliases))
        else:
            merged[org.id] = org
    return list(merged.values())


class OrgIndex(dict[str, str]):
    """Normalised spelling -> organisation id, looked up by any spelling: ``index.get("Avon &
    Somerset")`` finds what ``"avon-and-somerset"`` would. The first organisation to claim a
    spelling keeps it (a clash is reported by the catalogue's rules). ``spellings`` keeps each
    key's first written form, for hints."""

    def __init__(self, organisations: Iterable[Organisation] = ()) -> None:
        super().__init__()
        self.spellings: dict[str, str] = {}
        self.names: dict[str, str] = {}  # id -> display name
        for org in organisations:
            self.names.setdefault(org.id, org.name or org.id)
            for spelling in (org.id, org.name or "", *org.aliases):
                key = normalise_org_name(spelling)
                if key and not super().__contains__(key):
                    super().__setitem__(key, org.id)
                    self.spellings[key] = spelling

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(normalise_org_name(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(normalise_org_name(name))

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(normalise_org_name(name), default)

    def nearest(self, text: str, n: int = 3) -> list[tuple[str, str]]:
        """Up to ``n`` organisations with a spelling close to ``text``, closest first, one
        entry per organisation: (id, the closest spelling)."""
        keys = difflib.get_close_matches(
            normalise_org_name(text), list(self), n=5 * n + 5, cutoff=0.5
        )
        out: dict[str, str] = {}
        for key in keys:
            out.setdefault(dict.__getitem__(self, key), self.spellings[key])
        return list(out.items())[:n]

    def label(self, org_id: str, spelling: str | None = None) -> str:
        """How a hint names an organisation: its id, or a spelling with the id beside it."""
        shown = spelling if spelling is not None else self.names.get(org_id, org_id)
        if normalise_org_name(shown) == normalise_org_name(org_id):
            return repr(org_id)
        return f"{shown!r} ({org_id})"

    def did_you_mean(self, text: str) -> str | None:
        """``did you mean 'West Yorkshire' (E23000010)?``, or None when nothing is close."""
        near = self.nearest(text)
        if not near:
            return None
        return "did you mean " + " or ".join(self.label(i, s) for i, s in near) + "?"

    def known(self, limit: int = 10) -> str:
        """``known: ...``: the first organisations by id."""
        ids = sorted(self.names)
        shown = ", ".join(self.label(i) for i in ids[:limit])
        return f"known: {shown}" + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
