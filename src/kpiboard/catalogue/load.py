"""Load a project folder (kpiboard.yaml + measures/*.yaml) into a Catalogue, collecting every
finding with its file and line rather than stopping at the first."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kpiboard.catalogue.orgs import OrgIndex, builtin_organisations, merge_organisations
from kpiboard.catalogue.schema import Measure, MeasureFile, Organisation, Project
from kpiboard.catalogue.yamlfile import Loc, LocatedYaml, load_yaml
from kpiboard.errors import Finding, KpiboardError, ValidationFailed

PROJECT_FILE = "kpiboard.yaml"


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

    def org_name(self, org_id: str) -> str:
        return self.org_index().names.get(org_id, org_id)

    def children_of(self, measure_id: str) -> list[Measure]:
        return [m for m in self.measures.values() if m.parent == measure_id]

    @property
    def fy_start_month(self) -> int:
        return self.project.financial_year_start


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return current
        current = _unwrap(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Find the BaseModel inside list[...] / X | None annotations."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    for arg in typing.get_args(annotation):
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    if origin in (typing.Union, types.UnionType):
        return None
    return None


def _subject(doc: LocatedYaml, loc: Loc) -> str | None:
    """The measure id for a location under ``measures: [...]``."""
    if len(loc) >= 2 and loc[0] == "measures" and isinstance(loc[1], int):
        items = doc.data.get("measures") if isinstance(doc.data, dict) else None
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            mid = items[loc[1]].get("id")
            return str(mid) if mid is not None else f"measures[{loc[1]}]"
    return None


def validation_findings(
    exc: ValidationError, doc: LocatedYaml, model: type[BaseModel], display: str
) -> list[Finding]:
    """Pydantic errors -> findings with file:line and a hint (nearest key for typos)."""
    out: list[Finding] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # union members and "after" validators add non-key parts; keep only real path parts
        path: Loc = tuple(
            p for p in loc if isinstance(p, int) or not str(p).startswith(("function-", "tagged-"))
        )
        line = doc.line_of(path)
        # the hint a period parser gave (see schema.InvalidValue), if any
        hint: str | None = getattr(err.get("ctx", {}).get("error"), "hint", None)
        key = path[-1] if path else None
        if err["type"] == "extra_forbidden" and key is not None:
            owner = _model_at(model, path[:-1])
            valid = sorted(owner.model_fields) if owner else []
            near = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
            hint = (
                f"did you mean {near[0]!r}?"
                if near
                else ("valid keys: " + ", ".join(valid) if valid else None)
            )
            message = f"unknown key {key!r}"
        elif err["type"] == "missing":
            message = f"missing required key {key!r}"
        else:
            # under measures[i] the finding's subject already names the measure
            inner = path[2:] if _subject(doc, path) is not None else path
            field_name = ".".join(str(p) for p in inner if not isinstance(p, int))
            msg = err["msg"].removeprefix("Value error, ")
            message = f"{field_name}: {msg}" if field_name else msg
            if err["type"] == "enum":
                expected = err.get("ctx", {}).get("expected")
                hint = f"expected {expected}" if expected else None
        out.append(Finding("error", message, display, line, _subject(doc, path), hint))
    # pydantic reports in the order fields are declared; people read files top to bottom
    return sorted(out, key=lambda f: f.line or 0)


def load_catalogue(root: Path, *, raise_on_error: bool = True) -> Catalogue:
    """Load the project at ``root``. Raises ValidationFailed with all findings on errors,
    KpiboardError when there is no project there at all.

    With ``raise_on_error=False`` a catalogue whose files all parse but whose cross-checks
    fail (a missing parent, ...) is returned with its error findings, so that ``kpiboard
    validate`` can go on to check the data; ValidationFailed is still raised when the files
    themselves do not load."""
    root = Path(root)
    project_path = root / PROJECT_FILE
    if not project_path.is_file():
        raise KpiboardError(
            f"no {PROJECT_FILE} in {root}",
            hint="point kpiboard at a project folder, e.g. examples/met-cpa-2009-10",
        )
    findings: list[Finding] = []

    project: Project | None = None
    project_lines: dict[Loc, int] = {}
    try:
        doc = load_yaml(project_path, PROJECT_FILE)
        project_lines = doc.lines
        try:
            project = Project.model_validate(doc.data if doc.data is not None else {})
        except ValidationError as exc:
            findings += validation_findings(exc, doc, Project, PROJECT_FILE)
    except KpiboardError as exc:
        findings.append(
            Finding("error", exc.message, PROJECT_FILE, _line_from(exc.where), None, exc.hint)
        )

    measures: dict[str, Measure] = {}
    sources: dict[str, Source] = {}
    measure_files = sorted((root / "measures").glob("*.yaml")) + sorted(
        (root / "measures").glob("*.yml")
    )
    if not measure_files:
        findings.append(
            Finding(
                "error",
                "no measure definitions",
                "measures/",
                None,
                None,
                "add measures/*.yaml files with a `measures:` list",
            )
        )
    for path in measure_files:
        display = f"measures/{path.name}"
        try:
            doc = load_yaml(path, display)
        except KpiboardError as exc:
            findings.append(
                Finding("error", exc.message, display, _line_from(exc.where), None, exc.hint)
            )
            continue
        try:
            parsed = MeasureFile.model_validate(doc.data if doc.data is not None else {})
        except ValidationError as exc:
            findings += validation_findings(exc, doc, MeasureFile, display)
            continue
        for i, measure in enumerate(parsed.measures):
            line = doc.line_of(("measures", i))
            if measure.id in measures:
                first = sources[measure.id]
                findings.append(
                    Finding(
                        "error",
                        f"duplicate measure id {measure.id!r}",
                        display,
                        line,
                        measure.id,
                        f"first defined at {first.file}:{first.line}",
                    )
                )
                continue
            measures[measure.id] = measure
            prefix = ("measures", i)
            keys = {
                loc[2:]: n for loc, n in doc.lines.items() if loc[:2] == prefix and len(loc) > 2
            }
            sources[measure.id] = Source(display, line, keys)

    if project is None or any(f.level == "error" for f in findings):
        raise ValidationFailed(findings)
    catalogue = Catalogue(
        root=root,
        project=resolve_project(project),
        measures=measures,
        sources=sources,
        project_lines=project_lines,
        declared_organisations=list(project.organisations),
    )
    from kpiboard.catalogue.rules import check_catalogue

    catalogue.findings = findings + check_catalogue(catalogue)
    if raise_on_error and any(f.level == "error" for f in catalogue.findings):
        raise ValidationFailed(catalogue.findings)
    return catalogue


def resolve_project(project: Project) -> Project:
    """The project with its built-in organisations merged in (see ``orgs.merge_organisations``)
    and its peer groups' members named by id. A member no organisation answers to is kept as
    written, for the rules to report."""
    builtin = (
        builtin_organisations(project.builtin_organisations)
        if project.builtin_organisations
        else []
    )
    organisations = merge_organisations(builtin, project.organisations)
    index = OrgIndex(organisations)
    groups = [
        g
        if g.members == "all"
        else g.model_copy(update={"members": [index.get(m) or m for m in g.members]})
        for g in project.peer_groups
    ]
    return project.model_copy(update={"organisations": organisations, "peer_groups": groups})


def _line_from(where: str | None) -> int | None:
    if where and ":" in where:
        tail = where.rsplit(":", 1)[1]
        return int(tail) if tail.isdigit() else None
    return None
