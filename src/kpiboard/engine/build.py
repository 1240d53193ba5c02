"""Assemble the Scorecard: every row's figures, target, status and reason, ranks and facts."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.derivation import derivation_of
from kpiboard.catalogue.placeholders import fill
from kpiboard.catalogue.schema import Measure, Target
from kpiboard.engine import movement
from kpiboard.engine.coverage import baseline_average, no_figure_reason, untiled
from kpiboard.engine.evaluate import Evaluator, Value
from kpiboard.engine.facts import (
    baseline_sentence,
    comparator_sentence,
    contribution_sentence,
    moe_sentence,
    rank_sentences,
    ratio_sentence,
)
from kpiboard.engine.needs import before_any_data
from kpiboard.engine.peers import RankResult, ranks_of
from kpiboard.engine.row_figures import (
    comparator_figure,
    latest_figure,
    level_figure,
    milestones,
    moe_figure,
    period_label,
    rank_figure,
    ratio_figures,
    target_figure,
    value_text,
)
from kpiboard.engine.series import monthly_series
from kpiboard.engine.spc_row import spc_block, spc_key, status_from_spc
from kpiboard.engine.stale import stale_mark
from kpiboard.engine.stats import margin_of_error, margin_of_error_difference
from kpiboard.engine.status import CHANGE_DECIMALS, Assessment, assess
from kpiboard.engine.targets import (
    Resolved,
    resolve,
    target_for,
)
from kpiboard.engine.uncertainty import interval, significance
from kpiboard.enginedata import EngineData
from kpiboard.errors import KpiboardError
from kpiboard.periods import (
    format_month,
    fy_label,
    fy_start,
    short_month,
    span_label,
    window_ending,
)
from kpiboard.precision import compare, percent_change_text
from kpiboard.scorecard import (
    Change,
    DropOff,
    Figure,
    Forecast,
    MarginOfError,
    MonthlyAverage,
    MonthRange,
    Organisation,
    RatioFigures,
    Row,
    Scorecard,
    Significance,
    Spc,
)
from kpiboard.vocabulary import (
    ComparatorKind,
    FactKind,
    MeasureKind,
    StatusFrom,
    WindowKind,
)

SUMMABLE = (MeasureKind.COUNT, MeasureKind.COMPOSITE)


def build_scorecard(cat: Catalogue, data: EngineData, as_of: int, home: str) -> Scorecard:
    """The scorecard of organisation ``home`` as of month ``as_of``, from the data the engine
    asked for (``needs.scorecard_request``). Pure: no I/O."""
    first = data.first_month()
    if first is None:
        raise KpiboardError(
            "there are no observations to report on",
            hint="add data files and run `kpiboard ingest`",
        )
    if as_of < first:
        raise before_any_data(as_of, first)
    ev = Evaluator(cat, data)
    builder = _RowBuilder(cat, ev, as_of, home)
    top = [m for m in cat.measures.values() if not m.hidden and m.parent is None]
    order = {s: i for i, s in enumerate(cat.project.sections)}
    top.sort(key=lambda m: order.get(m.section or "", len(order)))  # stable: file order within
    rows = tuple(builder.row(m) for m in top)
    sections = list(cat.project.sections)
    for m in top:
        if m.section and m.section not in sections:
            sections.append(m.section)
    return Scorecard(
        title=fill(cat.project.title, as_of, cat.fy_start_month),
        subtitle=fill(cat.project.subtitle or "", as_of, cat.fy_start_month) or None,
        organisation=Organisation(home, cat.org_name(home)),
        as_of=format_month(as_of),
        as_of_text=short_month(as_of),
        financial_year=fy_label(as_of, cat.fy_start_month),
        rows=rows,
        sections=tuple(sections),
        status_key=cat.project.status_key.model_dump(),  # green, amber, red
        spc_key=spc_key(),
    )


@dataclass(frozen=True)
class _Movement:
    """How a count moved (``engine/movement.py``); all None for other kinds."""

    average: MonthlyAverage | None = None
    forecast: Forecast | None = None
    drop_off: DropOff | None = None
    range_12: MonthRange | None = None


@dataclass(frozen=True)
class _Figures:
    """A row's figures once its latest value is known, as the steps of ``_RowBuilder.row``
    pass them on."""

    latest: Value
    comparator: Value | None
    change: Change | None
    shows_change: bool
    resolved: Resolved | None  # the target assessed: for the year the latest data end in
    report_resolved: Resolved | None  # the target shown: for the report's year
    rag: Assessment
    assessment: Assessment
    spc: Spc | None
    ranks: tuple[RankResult, ...]
    moves: _Movement
    fytd: Figure | None
    ratio: RatioFigures | None
    moe: MarginOfError | None
    significance: Significance | None


@dataclass
class _RowBuilder:
    cat: Catalogue
    ev: Evaluator
    as_of: int
    home: str

    @property
    def fy(self) -> int:
        return self.cat.fy_start_month

    # -- the row ------------------------------------------------------------------------------
    def row(self, m: Measure) -> Row:
        children = tuple(self.row(c) for c in self.cat.children_of(m.id) if not c.hidden)
        base = self._base(m, children)
        report_target = target_for(m, self.as_of, self.fy)
        if m.in_development:
            return replace(base, status_reason="In development: not yet measured, no status")
        base = replace(base, series=monthly_series(self.ev, m, self.home, self.as_of))
        latest = self.ev.latest(m.id, self.home, self.as_of)
        if latest is None:
            target_fig = target_figure(self.as_of, self.fy, m, report_target, None, None)
            return replace(
                base,
                target=target_fig,
                status_reason=no_figure_reason(self.ev, self.cat, m, self.home, self.as_of),
            )
        fig = self._figures(m, latest, report_target)
        facts = [*self._figure_facts(m, fig, children), *self._context_facts(m, fig)]
        months = self.ev.figure_months(m.id, self.home)
        row = self._with_figures(base, m, fig, report_target, facts)
        win = latest.window
        return replace(row, stale=stale_mark(m, months, win.last, self.as_of, win.length))

    def _base(self, m: Measure, children: tuple[Row, ...]) -> Row:
        """The row as far as the definitions go: no figures, no status."""
        return Row(
            id=m.row or m.id,
            measure=m.id,
            section=m.section,
            title=m.title,
            reference=m.reference,
            description=m.description,
            kind=m.kind,
            unit=m.unit,
            decimals=m.decimals,
            polarity=m.polarity,
            children=children,
            tracking=m.tracking,
            in_development=m.in_development,
            derived=derivation_of(m, self.cat.measures),
            milestones=milestones(m),
            status=None,
            status_reason="",
            target=None,
            latest=None,
            comparator=None,
        )

    def _figures(self, m: Measure, latest: Value, report_target: Target | None) -> _Figures:
        """Everything computed around the latest figure: comparator, targets, status, SPC,
        ranks, movement."""
        comp = self._comparator(m, latest)
        change = self._change(m, latest, comp) if comp else None
        baseline = baseline_average(self.ev, m, self.home)
        assessed_target = target_for(m, latest.window.last, self.fy)
        resolved = self._resolve(m, assessed_target, latest.window.last, comp, baseline)
        report_resolved = self._resolve(m, report_target, self.as_of, comp, baseline)
        moe = self._moe(m, latest)
        rag = self._assess(m, latest, resolved, report_target, moe)
        spc = spc_block(self.ev, m, self.home, latest, report_resolved)
        assessment = self._headline(m, rag, spc)
        ranks = ranks_of(self.ev, m, self.home, self.as_of)
        moves = self._movement(m, latest, report_resolved)
        fytd = self._fytd(m, latest)
        ratio = ratio_figures(m, latest, report_resolved)
        moe_fig = moe_figure(m, moe, assessment)
        sig = significance(self.cat, m, latest, comp, comp.window.label(self.fy) if comp else "")
        return _Figures(
            latest=latest,
            comparator=comp,
            change=change,
            shows_change=self._shows_change(m),
            resolved=resolved,
            report_resolved=report_resolved,
            rag=rag,
            assessment=assessment,
            spc=spc,
            ranks=tuple(ranks),
            moves=moves,
            fytd=fytd,
            ratio=ratio,
            moe=moe_fig,
            significance=sig,
        )

    def _resolve(
        self,
        m: Measure,
        target: Target | None,
        month: int,
        comp: Value | None,
        baseline: float | None,
    ) -> Resolved | None:
        if not target:
            return None
        return resolve(
            m,
            target,
            month,
            self.fy,
            comparator_level=comp.value if comp else None,
            baseline_average=baseline,
        )

    def _movement(self, m: Measure, latest: Value, report_resolved: Resolved | None) -> _Movement:
        """Monthly average, forecast, drop-off and range: for counts and their sums only."""
        if m.kind not in SUMMABLE:
            return _Movement()
        r = report_resolved
        annual = r.level if r and r.change is None else None
        return _Movement(
            average=movement.monthly_average(self.ev, m, self.home, latest, annual),
            forecast=movement.forecast(self.ev, m, self.home, latest, annual),
            drop_off=movement.drop_off(self.ev, m, self.home, latest),
            range_12=movement.month_range(self.ev, m, self.home, latest),
        )

    def _figure_facts(self, m: Measure, fig: _Figures, children: tuple[Row, ...]) -> list[str]:
        """Sentences about the figure itself: against the comparator, the baseline, the ratio's
        reference, the margin of error, the significance test, the children's contributions."""
        latest, comp, change = fig.latest, fig.comparator, fig.change
        facts: list[str] = []
        if comp and change:
            facts.append(comparator_sentence(m, latest, comp, change, fig.shows_change, self.fy))
        if fig.resolved and fig.resolved.baseline_average is not None:
            facts.append(baseline_sentence(m, fig.resolved))
        if fig.ratio is not None:
            reference = self.cat.measures[(m.of or ["", ""])[1]]
            facts.append(ratio_sentence(fig.ratio, reference.title))
        if fig.moe is not None and fig.moe.shortfall is not None:
            facts.append(moe_sentence(fig.moe))
        if fig.significance is not None:
            facts.append(fig.significance.text)
        if m.kind is MeasureKind.COMPOSITE and children:
            sentence = contribution_sentence(children, latest)
            if sentence:
                facts.append(sentence)
        return facts

    def _context_facts(self, m: Measure, fig: _Figures) -> list[str]:
        """Sentences around the figure: the year to date, movement, provisional months, a later
        window that has no figure, ranks."""
        latest, mv = fig.latest, fig.moves
        wanted = {f.value for f in m.facts}
        facts: list[str] = []
        if fig.fytd is not None and FactKind.FYTD.value in wanted:
            facts.append(f"Financial year to date ({fig.fytd.period}): {fig.fytd.text}")
        facts += movement.sentences(m, mv.average, mv.forecast, mv.drop_off, mv.range_12, wanted)
        if latest.provisional:
            facts.append(self._provisional_sentence(m, latest))
        later_gap = untiled(self.ev, m, self.home, self.fy, self.as_of, after=latest.window.last)
        if later_gap is not None:
            facts.append(later_gap)
        facts += rank_sentences(self.cat, fig.ranks, self.home, m)
        return facts

    def _with_figures(
        self, base: Row, m: Measure, fig: _Figures, report_target: Target | None, facts: list[str]
    ) -> Row:
        latest, change = fig.latest, fig.change
        return replace(
            base,
            status=fig.assessment.status,
            status_reason=fig.assessment.reason,
            target=target_figure(
                self.as_of, self.fy, m, report_target, fig.report_resolved, latest
            ),
            latest=latest_figure(self.fy, m, latest, change if fig.shows_change else None),
            comparator=comparator_figure(self.fy, m, fig.comparator, latest),
            change=change,
            ranks=tuple(rank_figure(self.fy, r, m) for r in fig.ranks),
            facts=tuple(facts),
            provisional=latest.provisional,
            fytd=fig.fytd,
            monthly_average=fig.moves.average,
            forecast=fig.moves.forecast,
            drop_off=fig.moves.drop_off,
            range_12=fig.moves.range_12,
            margin_of_error=fig.moe,
            ratio=fig.ratio,
            spc=fig.spc,
            rag_status=fig.rag.status,
            rag_reason=fig.rag.reason,
            significance=fig.significance,
            interval=interval(m, latest),
            status_from=m.status_from,
            level=level_figure(self.fy, m, latest) if fig.shows_change else None,
        )

    # -- pieces -------------------------------------------------------------------------------
    def _shows_change(self, m: Measure) -> bool:
        """A measure whose target is a % change reports its % change as its figure (as do its
        breakdowns)."""
        if any(t.change is not None for t in m.targets):
            return True
        return m.parent is not None and self._shows_change(self.cat.measures[m.parent])

    def _comparator(self, m: Measure, latest: Value) -> Value | None:
        match m.comparator:
            case ComparatorKind.NONE:
                return None
            case ComparatorKind.PREVIOUS_FINANCIAL_YEAR:
                end = fy_start(latest.window.last, self.fy) - 1
                win = window_ending(WindowKind.FINANCIAL_YEAR, end, self.fy)
            case ComparatorKind.SAME_WINDOW_LAST_YEAR:
                win = latest.window.shifted(-12)
            case ComparatorKind.YEAR_START:
                start = fy_start(latest.window.last, self.fy)
                win = window_ending(latest.window.kind, start + latest.window.length - 1, self.fy)
                if win is not None and win.last == latest.window.last:
                    return None  # the latest window is the year's first: nothing to compare
        if win is None:
            return None
        if m.kind is MeasureKind.SNAPSHOT:
            snap = self.ev.snapshot(m.id, self.home, win.last, win)
            return snap if snap is not None and snap.window.last == win.last else None
        return self.ev.evaluate(m.id, self.home, win)

    def _change(self, m: Measure, latest: Value, comp: Value) -> Change:
        absolute = latest.value - comp.value
        points = m.unit in ("%", "pts")
        unit = "pts" if points else m.unit
        percent = None if points or comp.value == 0 else (latest.value / comp.value - 1) * 100
        # written by the precision rule: "level" only when equal at the data's own precision
        compared = compare(comp.value, latest.value, m.unit, m.decimals, change_unit=unit)
        shown = 0.0 if compared.level else absolute
        return Change(
            absolute=absolute,
            absolute_text=compared.change_text,
            percent=percent,
            percent_text=percent_change_text(percent, CHANGE_DECIMALS)
            if percent is not None
            else None,
            direction=compared.direction,
            better=m.polarity.better(shown, 0.0),
        )

    def _moe(self, m: Measure, latest: Value) -> float | None:
        """95% margin of error, for sample surveys only (recorded crime is not a sample)."""
        if m.kind is MeasureKind.PROPORTION and m.survey and latest.sample_size:
            return margin_of_error(latest.value, latest.sample_size, m.deft or 1.0)
        if m.kind is MeasureKind.DIFFERENCE and len(latest.parts) == 2 and m.of:
            first, second = (self.cat.measures[i] for i in m.of)
            a, b = latest.parts
            if first.survey and second.survey and a.sample_size and b.sample_size:
                deft = max(first.deft or 1.0, second.deft or 1.0)
                return margin_of_error_difference(
                    a.value, a.sample_size, b.value, b.sample_size, deft
                )
        return None

    def _assess(
        self,
        m: Measure,
        latest: Value,
        resolved: Resolved | None,
        report_target: Target | None,
        moe: float | None,
    ) -> Assessment:
        if m.tracking:
            return Assessment(None, "Tracking measure: no target, no status")
        if not m.targets:
            return Assessment(None, "No target set: no status")
        if resolved is None:
            period = period_label(m, latest, self.fy)
            if report_target is not None:
                return Assessment(
                    None,
                    f"Latest data ({period}) predate the "
                    f"{fy_label(self.as_of, self.fy)} target: no status",
                )
            return Assessment(
                None, f"No target for {fy_label(latest.window.last, self.fy)}: no status"
            )
        if resolved.level is None:
            return Assessment(
                None, f"Target cannot be worked out ({resolved.why_missing}): no status"
            )
        rule = m.status_rule or self.cat.project.status_rule
        if resolved.change is not None:
            assert resolved.comparator_level
            figure = (latest.value / resolved.comparator_level - 1) * 100
        else:
            figure = latest.value
        return assess(m, rule, resolved, figure=figure, level=latest.value, moe=moe)

    def _headline(self, m: Measure, rag: Assessment, spc: Spc | None) -> Assessment:
        """The status the row leads with: the target's (rag), SPC's, or the target's with the
        SPC verdict beside it in the reason (both)."""
        if m.status_from is StatusFrom.SPC:
            status, reason = status_from_spc(spc)
            return replace(rag, status=status, reason=reason)
        if m.status_from is StatusFrom.BOTH and spc is not None:
            return replace(rag, reason=f"{rag.reason}; SPC: {spc.summary}")
        return rag

    def _fytd(self, m: Measure, latest: Value) -> Figure | None:
        if m.window is WindowKind.FYTD or m.kind is MeasureKind.SNAPSHOT:
            return None
        win = window_ending(WindowKind.FYTD, latest.window.last, self.fy)
        if win is None or (win.first, win.last) == (latest.window.first, latest.window.last):
            return None  # at the year's end the year to date is the latest figure itself
        value = self.ev.evaluate(m.id, self.home, win)
        if value is None:
            return None
        return Figure(
            value_text(m, value),
            value.value,
            value.window.label(self.fy),
            format_month(value.window.last),
            unit=m.unit,
            decimals=m.decimals,
        )

    def _provisional_sentence(self, m: Measure, latest: Value) -> str:
        months = [
            mm
            for mm in range(latest.window.first, latest.window.last + 1)
            if (row := self.ev.data.window_row(self.home, m.id, mm)) and row.month.prov
        ]
        if months:
            return f"Figures for {span_label(min(months), max(months))} are provisional"
        return "Includes provisional figures"
