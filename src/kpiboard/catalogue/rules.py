"""Cross-checks over a whole catalogue. Each rule is a small function returning findings (one
module per concern: ``org_rules``, ``link_rules``, ``target_rules``, ``layout_rules``,
``record_rules``, ``formula_rules``); a rule that crashes becomes a finding of its own instead of hiding the
others."""

from __future__ import annotations

from kpiboard.catalogue.formula_rules import formulas
from kpiboard.catalogue.layout_rules import headings, rows
from kpiboard.catalogue.link_rules import operands, parents, populations, ranks
from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.org_rules import organisations
from kpiboard.catalogue.record_rules import records
from kpiboard.catalogue.rule_findings import Rule
from kpiboard.catalogue.target_rules import spc, targets
from kpiboard.errors import Finding

RULES: tuple[Rule, ...] = (
    organisations,
    parents,
    operands,
    populations,
    targets,
    ranks,
    rows,
    headings,
    spc,
    records,
    formulas,
)


def check_catalogue(cat: Catalogue) -> list[Finding]:
    """Every rule's findings, in file order (kpiboard.yaml, then the measure files)."""
    out: list[Finding] = []
    for rule in RULES:
        try:
            out.extend(rule(cat))
        except Exception as exc:  # noqa: BLE001 - a crashing rule must not hide the others
            out.append(
                Finding(
                    "error",
                    f"check {rule.__name__} failed: {exc!r}",
                    None,
                    None,
                    None,
                    "this is a kpiboard bug; please report it",
                )
            )
    files = {"kpiboard.yaml": 0}
    for src in cat.sources.values():
        files.setdefault(src.file, len(files))
    return sorted(out, key=lambda f: (files.get(f.file or "", len(files)), f.line or 0))
