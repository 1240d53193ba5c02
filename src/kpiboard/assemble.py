"""Where the engine meets the warehouse, and nowhere else: the engine says what a scorecard
or a league table needs, the warehouse fetches it, the engine builds from it.

>>> card = assemble_scorecard(cat, wh.scorecard_observations(cat), parse_month("2009-08"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import ibis.expr.types as ir

from kpiboard.catalogue import Catalogue
from kpiboard.engine.build import build_scorecard
from kpiboard.engine.league import build_league, league_request
from kpiboard.engine.needs import all_months_request, before_any_data, scorecard_request
from kpiboard.engine.peer_plan import (
    home_request,
    peer_request,
    peer_shortfall,
    reads_peers_whole,
)
from kpiboard.enginedata import EngineData
from kpiboard.errors import KpiboardError
from kpiboard.funnelplot import FunnelMethod
from kpiboard.leaguetable import League
from kpiboard.periods import format_month
from kpiboard.precision import compare
from kpiboard.scorecard import Figure, Revised, Row, Scorecard
from kpiboard.vocabulary import ChangeKind, RevisedSince
from kpiboard.warehouse import Observations, Warehouse
from kpiboard.warehouse.vintage_log import Vintage


def _reads(observations: Observations | ir.Table) -> Observations:
    return observations if isinstance(observations, Observations) else Observations(observations)


def assemble_scorecard(
    cat: Catalogue, observations: Observations | ir.Table, as_of: int, org: str | None = None
) -> Scorecard:
    """The scorecard of ``org`` (default: the project's organisation) as of month ``as_of``,
    from ``observations`` (``Warehouse.reads``, or an observations table)."""
    reads = _reads(observations)
    home = cat.resolve_org(org or cat.project.organisation)
    data = _scorecard_data(cat, reads, as_of, home)
    if data.first_month() is None:
        # nothing at or before as_of: say the first month a figure ends in
        first = reads.engine_data(all_months_request(cat, home)).first_end()
        if first is not None:
            raise before_any_data(as_of, first)
    return build_scorecard(cat, data, as_of, home)


def _scorecard_data(cat: Catalogue, reads: Observations, as_of: int, home: str) -> EngineData:
    """The home organisation's rows, then the other organisations' that its ranks read
    (``engine/peer_plan.py``): the scorecard's cost is its own, not the whole cube's. Where
    the others' rows are few, all of them in one read costs less than the steps."""
    if reads_peers_whole(cat, home):
        return reads.engine_data(scorecard_request(cat, as_of, home))
    data = reads.engine_data(home_request(cat, as_of, home))
    if data.first_month() is None:  # no rows of its own: read as before, peers in full
        return reads.engine_data(scorecard_request(cat, as_of, home))
    data = data.merged(reads.engine_data(peer_request(cat, data, as_of, home)))
    # a rank that searches back past the home's latest month (a member without data there)
    more = peer_shortfall(cat, data, as_of, home)
    return data if more is None else data.merged(reads.engine_data(more))


def assemble_league(
    cat: Catalogue,
    observations: Observations | ir.Table,
    as_of: int,
    measure_id: str,
    group_id: str | None = None,
    highlight: str | None = None,
    funnel_method: FunnelMethod = FunnelMethod.ADDITIVE,
) -> League:
    """The league table of ``measure_id`` (see ``engine.league.build_league``)."""
    request = league_request(cat, as_of, measure_id, group_id, highlight)
    data = _reads(observations).engine_data(request)
    return build_league(cat, data, as_of, measure_id, group_id, highlight, funnel_method)


# --- revised since published / first reported (docs/VINTAGES.md) ----------------------------


@dataclass(frozen=True)
class Baseline:
    """The vintage a scorecard's figures are compared with, and why that one."""

    since: RevisedSince
    vintage: int


def revision_baseline(
    vintages: Sequence[Vintage], as_of: int, shown: int, published: int | None = None
) -> Baseline | None:
    """The baseline of the scorecard as of ``as_of`` shown at vintage ``shown``: a published
    pack's vintage (``published``, when it is not after ``shown``), else the first vintage up to
    ``shown`` that added a figure for the month; None when none did."""
    if published is not None and published <= shown:
        return Baseline(RevisedSince.PUBLISHED, published)
    month = format_month(as_of)
    for v in vintages:
        if v.id > shown:
            break
        if any(m.month == month for c in v.changes for m in c.of_kind(ChangeKind.ADDED)):
            return Baseline(RevisedSince.FIRST_REPORTED, v.id)
    return None


def _touching(vintages: Sequence[Vintage], baseline: int, shown: int, as_of: int) -> list[Vintage]:
    """The vintages after ``baseline`` up to ``shown`` that changed a month up to ``as_of``
    (only those can change a figure of the scorecard as of ``as_of``)."""
    last = format_month(as_of)
    return [
        v
        for v in vintages
        if baseline < v.id <= shown and any(m.month <= last for c in v.changes for m in c.months)
    ]


def _subjects(cat: Catalogue, measure_id: str) -> set[str]:
    """The measures and record sources a measure's figure is made of: itself, its record
    source, the two proportions of a difference or ratio, its population, its children."""
    out: set[str] = set()
    todo = [measure_id]
    while todo:
        mid = todo.pop()
        if mid in out:
            continue
        out.add(mid)
        m = cat.measures.get(mid)
        if m is None:
            continue
        if m.records is not None:
            out.add(m.records.source)
        todo += [*(m.of or ()), *([m.population] if m.population else ())]
        todo += [c.id for c in cat.children_of(mid)]
    return out


def _change_vintage(cat: Catalogue, measure: str, touching: Sequence[Vintage], shown: int) -> int:
    """The latest vintage whose recorded changes touch what ``measure``'s figure is made of;
    ``shown`` when none says so (a change the records cannot pin on one subject)."""
    subjects = _subjects(cat, measure)
    for v in reversed(touching):
        if any(c.subject in subjects for c in v.changes):
            return v.id
    return shown


def figure_revised(before: Figure | None, after: Figure | None) -> bool:
    """Whether a headline figure changed. One that did not exist at the baseline, or that is
    for another period now (a newer figure, not a revision of the old one), is not revised."""
    if before is None or after is None or before.period_end != after.period_end:
        return False
    return before.text != after.text or before.value != after.value


def revision_texts(old: Row, row: Row) -> str:
    """``77.1% → 76.4%``: a revision that the headline's decimals hide is written by the
    precision rule (``77% → 77%`` would say nothing changed)."""
    before, after = old.latest, row.latest
    assert before is not None and after is not None
    if before.text == after.text and before.value is not None and after.value is not None:
        c = compare(
            before.value,
            after.value,
            after.unit or "",
            after.decimals or 0,
            as_change=row.level is not None,  # the figure is a % change
        )
        return f"{c.first_text} → {c.second_text}"
    return f"{before.text} → {after.text}"


def _mark(row: Row, then: dict[str, Row], mark: Callable[[Row, Row], Revised]) -> Row:
    children = tuple(_mark(c, then, mark) for c in row.children)
    old = then.get(row.measure)
    revised = mark(old, row) if old is not None and figure_revised(old.latest, row.latest) else None
    if revised is None and children == row.children:
        return row
    return replace(row, children=children, revised=revised)


def mark_revisions(
    cat: Catalogue,
    wh: Warehouse,
    card: Scorecard,
    as_of: int,
    *,
    shown: int | None = None,
    published: int | None = None,
) -> Scorecard:
    """``card`` (the scorecard of its organisation as of ``as_of``, built at vintage ``shown``,
    None = the latest) with ``revised`` set on the rows whose headline figure differs from the
    baseline's (:func:`revision_baseline`; ``published``: the vintage a published pack of the
    organisation and month pinned). The baseline's scorecard is built only when some vintage
    after it changed a month up to ``as_of``: otherwise this costs no build."""
    at = shown if shown is not None else wh.latest_vintage()
    if at is None:
        return card
    vintages = [v for v in wh.vintages() if v.id <= at]
    baseline = revision_baseline(vintages, as_of, at, published)
    touching = [] if baseline is None else _touching(vintages, baseline.vintage, at, as_of)
    if baseline is None or not touching:
        return card
    try:
        then = assemble_scorecard(
            cat, wh.at(baseline.vintage).scorecard_observations(cat), as_of, card.organisation.id
        )
    except KpiboardError:  # no figure then at or before the month: nothing to revise
        return card
    base = baseline

    def mark(old: Row, row: Row) -> Revised:
        assert old.latest is not None and row.latest is not None
        n = _change_vintage(cat, row.measure, touching, at)
        return Revised(
            since=base.since,
            since_vintage=base.vintage,
            before=old.latest,
            after=row.latest,
            vintage=n,
            text=f"revised since {base.since.words}: {revision_texts(old, row)} (vintage {n})",
        )

    before = {r.measure: r for r in then.all_rows()}
    return replace(card, rows=tuple(_mark(r, before, mark) for r in card.rows))


def assemble_revised(
    cat: Catalogue,
    wh: Warehouse,
    as_of: int,
    org: str | None = None,
    *,
    vintage: int | None = None,
    published: int | None = None,
) -> Scorecard:
    """The scorecard of ``org`` as of ``as_of`` at vintage ``vintage`` (None: the latest), its
    revised figures marked (:func:`mark_revisions`) and the vintage it was read at noted."""
    known = wh.at(vintage)
    card = assemble_scorecard(cat, known.scorecard_observations(cat), as_of, org)
    card = replace(card, vintage=vintage if vintage is not None else wh.latest_vintage())
    return mark_revisions(cat, wh, card, as_of, shown=vintage, published=published)
