"""Load a project folder (kpiboard.yaml + measures/*.yaml) into a Catalogue, collecting every
finding with its file and line rather than stopping at the first."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from kpiboard.catalogue.model import Catalogue, Source
from kpiboard.catalogue.orgs import OrgIndex, builtin_organisations, merge_organisations
from kpiboard.catalogue.rules import check_catalogue
from kpiboard.catalogue.schema import Measure, MeasureFile, Project
from kpiboard.catalogue.schema_findings import validation_findings
from kpiboard.catalogue.yamlfile import Loc, LocatedYaml, load_yaml
from kpiboard.errors import Finding, KpiboardError, ValidationFailed

__all__ = ["PROJECT_FILE", "Catalogue", "Source", "load_catalogue", "resolve_project"]

PROJECT_FILE = "kpiboard.yaml"


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
    project, project_lines = _load_project(project_path, findings)
    measures, sources = _load_measures(root, findings)
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
    catalogue.findings = findings + check_catalogue(catalogue)
    if raise_on_error and any(f.level == "error" for f in catalogue.findings):
        raise ValidationFailed(catalogue.findings)
    return catalogue


def _load_project(path: Path, findings: list[Finding]) -> tuple[Project | None, dict[Loc, int]]:
    """kpiboard.yaml as a Project (None if it does not load) and the line of each of its keys;
    its problems are added to ``findings``."""
    project: Project | None = None
    project_lines: dict[Loc, int] = {}
    try:
        doc = load_yaml(path, PROJECT_FILE)
        project_lines = doc.lines
        try:
            project = Project.model_validate(doc.data if doc.data is not None else {})
        except ValidationError as exc:
            findings += validation_findings(exc, doc, Project, PROJECT_FILE)
    except KpiboardError as exc:
        findings.append(
            Finding("error", exc.message, PROJECT_FILE, _line_from(exc.where), None, exc.hint)
        )
    return project, project_lines


def _load_measures(
    root: Path, findings: list[Finding]
) -> tuple[dict[str, Measure], dict[str, Source]]:
    """Every measure of measures/*.yaml (then *.yml), each file in name order, and where each
    is defined; problems (a file that does not load, a duplicate id) go to ``findings``."""
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
        _add_measures(parsed, doc, display, measures, sources, findings)
    return measures, sources


def _add_measures(
    parsed: MeasureFile,
    doc: LocatedYaml,
    display: str,
    measures: dict[str, Measure],
    sources: dict[str, Source],
    findings: list[Finding],
) -> None:
    """One file's measures, each with its lines; an id defined before is a finding instead."""
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
        keys = {loc[2:]: n for loc, n in doc.lines.items() if loc[:2] == prefix and len(loc) > 2}
        sources[measure.id] = Source(display, line, keys)


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
