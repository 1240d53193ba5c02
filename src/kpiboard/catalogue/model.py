"""The loaded catalogue: a project's settings and measures, with where each was defined.

Loading (``load``) builds it, then has the rules (``rules``) check it: the rules depend on this
module, never on the loading, so that the two do not import each other."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from kpiboard.catalogue.orgs import OrgIndex
from kpiboard.catalogue.schema import Measure, Organisation, Project
from kpiboard.catalogue.yamlfile import Loc
from kpiboard.errors import Finding, KpiboardError


@dataclass(frozen=True)
class Source:
    """Where a measure is defined: its file, the line of its list item, and the line of each
    key inside it (``("targets", 1, "year")`` -> 17) so findings can point at the key."""

    file: str
    line: int | None
    keys: dict[Loc, int] = field(default_factory=dict, compare=False, hash=False)

    def line_at(self, loc: Loc = ()) -> int | None:
        """The line of ``loc`` inside the measure, or of its nearest located ancestor."""
        for n in range(len(loc), 0, -1):
            line = self.keys.get(tuple(loc[:n]))
            if line is not None:
                return line
        return self.line


@dataclass
class Catalogue:
    """A loaded project: its settings, measures in file order, and where each was defined.

    ``project`` is the project as resolved: its ``organisations`` are the built-in table (if
    any) extended by the project's own, and peer groups name their members by id.
    ``declared_organisations`` is the list as written in kpiboard.yaml (for findings' lines)."""

    root: Path
    project: Project
    measures: dict[str, Measure]
    sources: dict[str, Source] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    project_lines: dict[Loc, int] = field(default_factory=dict)  # kpiboard.yaml path -> line
    declared_organisations: list[Organisation] | None = None  # None: project.organisations
    _org_index: OrgIndex | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.declared_organisations is None:
            self.declared_organisations = list(self.project.organisations)

    def project_line(self, loc: Loc = ()) -> int | None:
        """The line of ``loc`` in kpiboard.yaml, or of its nearest located ancestor."""
        for n in range(len(loc), 0, -1):
            line = self.project_lines.get(tuple(loc[:n]))
            if line is not None:
                return line
        return None

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def org_index(self) -> OrgIndex:
        """Every id, name and alias -> the organisation's id. Keys are normalised
        (``orgs.normalise_org_name``) and so are lookups: ``index.get("Avon & Somerset")``."""
        if self._org_index is None:
            self._org_index = OrgIndex(self.project.organisations)
        return self._org_index

    def resolve_org(self, text: str) -> str:
        """An organisation id from its id, name or alias, ignoring case, spacing and
        punctuation; KpiboardError naming the nearest organisations otherwise."""
        index = self.org_index()
        found = index.get(text)
        if found is not None:
            return found
        raise KpiboardError(
            f"unknown organisation {text!r}", hint=index.did_you_mean(text) or index.known()
        )

    def resolve_measure(self, measure_id: str) -> Measure:
        """The measure of this id; KpiboardError naming the nearest ids otherwise."""
        if measure_id in self.measures:
            return self.measures[measure_id]
        near = difflib.get_close_matches(measure_id, list(self.measures), n=3, cutoff=0.5)
        raise KpiboardError(
            f"unknown measure {measure_id!r}",
            hint="did you mean " + " or ".join(repr(m) for m in near) + "?"
            if near
            else "`kpiboard validate` lists the project's measures",
        )

    def org_name(self, org_id: str) -> str:
        return self.org_index().names.get(org_id, org_id)

    def children_of(self, measure_id: str) -> list[Measure]:
        return [m for m in self.measures.values() if m.parent == measure_id]

    def with_warehouse(self, url: str | None) -> Catalogue:
        """This project with its ``warehouse:`` setting replaced by ``url`` (``kpiboard ingest
        --warehouse URL``: one run elsewhere); itself when ``url`` is None."""
        if url is None:
            return self
        project = self.project.model_copy(update={"warehouse": url})
        return dataclasses.replace(self, project=project)

    @property
    def fy_start_month(self) -> int:
        return self.project.financial_year_start
