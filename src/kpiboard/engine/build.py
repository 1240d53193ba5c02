"""Assemble the Scorecard: every row's figures, target, status and reason, ranks and facts."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.schema import Measure, Target
from kpiboard.engine import movement
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
from kpiboard.engine.peers import RankResult, period_and_basis, rank_in_group, value_text
from kpiboard.engine.spc_row import spc_block, spc_key, status_from_spc
from kpiboard.engine.stats import margin_of_error, margin_of_error_difference
from kpiboard.engine.status import CHANGE_DECIMALS, Assessment, assess
from kpiboard.engine.targets import (
    Resolved,
    baseline_span,
    baseline_years,
    resolve,
    target_for,
    target_text,
)
from kpiboard.engine.uncertainty import interval, significance
from kpiboard.enginedata import EngineData
from kpiboard.errors import KpiboardError
from kpiboard.formatting import (
    decimals_of,
    number,
    percent_change,
    ratio_to_one,
    round_half_up,
    signed,
    with_unit,
)
from kpiboard.periods import (
    MONTH_ABBR,
    format_month,
    fy_label,
    fy_start,
    month_of,
    parse_month,
    short_month,
    span_label,
    window_ending,
    year_of,
)
from kpiboard.scorecard import (
    Change,
    DropOff,
    Figure,
    Forecast,
    MarginOfError,
    Milestone,
    MonthlyAverage,
    MonthRange,
    Organisation,
    Rank,
    RatioFigures,
    Row,
    Scorecard,
    Significance,
    Spc,
)
from kpiboard.vocabulary import (
    ChangeDirection,
    ComparatorKind,
    FactKind,
    MeasureKind,
    Status,
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
    key = cat.project.status_key
    return Scorecard(
        title=cat.project.title,
        subtitle=cat.project.subtitle,
        organisation=Organisation(home, cat.org_name(home)),
        as_of=format_month(as_of),
        as_of_text=short_month(as_of),
        financial_year=fy_label(as_of, cat.fy_start_month),
        rows=rows,
        sections=tuple(sections),
        status_key={"green": key.green, "amber": key.amber, "red": key.red},
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
        latest = self.ev.latest(m.id, self.home, self.as_of)
        if latest is None:
            target_fig = self._target_figure(m, report_target, None, None)
            return replace(base, target=target_fig, status_reason=self._no_figure_reason(m))
        fig = self._figures(m, latest, report_target)
        facts = [*self._figure_facts(m, fig, children), *self._context_facts(m, fig)]
        return self._with_figures(base, m, fig, report_target, facts)

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
            polarity=m.polarity,
            children=children,
            tracking=m.tracking,
            in_development=m.in_development,
            milestones=self._milestones(m),
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
        baseline = self._baseline_average(m)
        assessed_target = target_for(m, latest.window.last, self.fy)
        resolved = self._resolve(m, assessed_target, latest.window.last, comp, baseline)
        report_resolved = self._resolve(m, report_target, self.as_of, comp, baseline)
        moe = self._moe(m, latest)
        rag = self._assess(m, latest, resolved, report_target, moe)
        spc = spc_block(self.ev, m, self.home, latest, report_resolved)
        assessment = self._headline(m, rag, spc)
        ranks = self._ranks(m)
        moves = self._movement(m, latest, report_resolved)
        fytd = self._fytd(m, latest)
        ratio = self._ratio(m, latest, report_resolved)
        moe_fig = self._moe_figure(m, moe, assessment)
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
        later_gap = self._untiled(m, self.as_of, after=latest.window.last)
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
            target=self._target_figure(m, report_target, fig.report_resolved, latest),
            latest=self._latest_figure(m, latest, change if fig.shows_change else None),
            comparator=self._comparator_figure(m, fig.comparator),
            change=change,
            ranks=tuple(self._rank(r, m) for r in fig.ranks),
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
            level=(
                Figure(
                    with_unit(latest.value, m.unit, m.decimals),
                    latest.value,
                    self._period_label(m, latest),
                    format_month(latest.window.last),
                )
                if fig.shows_change
                else None
            ),
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
        # direction as published: a change that rounds to nothing is "level", neither better
        shown = round_half_up(absolute, m.decimals)
        direction = ChangeDirection.of(shown)
        better = m.polarity.better(shown, 0.0)
        return Change(
            absolute=absolute,
            absolute_text=signed(absolute, unit, m.decimals),
            percent=percent,
            percent_text=percent_change(percent, CHANGE_DECIMALS) if percent is not None else None,
            direction=direction,
            better=better,
        )

    def _baseline_average(self, m: Measure) -> float | None:
        """Annual average over a target's baseline span, from data that cover every month of it
        exactly once (monthly rows or recorded windows inside the span)."""
        spans = {s for t in m.targets if (s := baseline_span(t))}
        if not spans:
            return None
        first, last = spans.pop()
        covered: dict[int, int] = {}
        total = 0.0
        for mm in range(first, last + 1):
            amount = self.ev.monthly_amount(m.id, self.home, mm)
            if amount is not None:
                covered[mm] = covered.get(mm, 0) + 1
                total += amount
        for rec in self.ev.data.recorded_for(self.home, m.id):
            start = rec.end - rec.months + 1
            if start >= first and rec.end <= last and rec.amt is not None:
                for mm in range(start, rec.end + 1):
                    covered[mm] = covered.get(mm, 0) + 1
                total += rec.amt
        span = last - first + 1
        if len(covered) != span or any(c != 1 for c in covered.values()):
            return None
        return total / (span / 12)

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

    def _moe_figure(
        self, m: Measure, moe: float | None, assessment: Assessment
    ) -> MarginOfError | None:
        if moe is None:
            return None
        short = assessment.status in (Status.AMBER, Status.RED)
        shortfall = assessment.shortfall if short else None
        return MarginOfError(
            value=moe,
            text=f"+/-{number(moe, max(m.decimals, 1))} pts",
            shortfall=shortfall,
            shortfall_text=with_unit(shortfall, "pts", m.decimals)
            if shortfall is not None
            else None,
            method=self._moe_method(m),
        )

    def _moe_method(self, m: Measure) -> str:
        deft = f" x design factor {m.deft}" if m.deft else ""
        if m.kind is MeasureKind.DIFFERENCE:
            return f"1.96 x sqrt(p1(1-p1)/n1 + p2(1-p2)/n2){deft}"
        return f"1.96 x sqrt(p(1-p)/n){deft}"

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
            period = self._period_label(m, latest)
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

    def _no_figure_reason(self, m: Measure) -> str:
        """Why a measure has no latest figure: no data, or (for a rate) no population to divide
        by — never a silent zero."""
        has_counts = any(mm <= self.as_of for mm in self.ev.data.months_with_data(self.home, m.id))
        gap = self._untiled(m, self.as_of)
        if gap is not None:
            return f"{gap}: no status"
        if m.kind is MeasureKind.PER_POPULATION and has_counts:
            pop = m.population or self.cat.project.population
            return (
                f"No population for {self.cat.org_name(self.home)} at or before the data "
                f"(measure {pop!r}): the rate cannot be worked out, no status"
            )
        return f"No data at or before {short_month(self.as_of)}: no status"

    def _untiled(self, m: Measure, before: int, after: int | None = None) -> str | None:
        """Why the latest window of the measure's kind ending at a month with data in
        (``after``, ``before``] has no figure, when its observations do not tile it ("No figure
        for 2017/18: no data for Jul - Sep 2017, ..."); None when there is no such window or it
        is tiled (a rate's population is another matter)."""
        if m.kind not in (
            MeasureKind.COUNT,
            MeasureKind.PROPORTION,
            MeasureKind.MEAN,
            MeasureKind.PER_POPULATION,
        ):
            return None
        months = self.ev.data.months_with_data(self.home, m.id)
        for end in sorted((mm for mm in months if mm <= before), reverse=True):
            if after is not None and end <= after:
                return None
            win = window_ending(m.window, end, self.fy)
            if win is None:
                continue
            gap = self.ev.coverage_gap(m.id, self.home, win)
            if gap is None:
                return None
            return (
                f"No figure for {win.label(self.fy)}: {gap} (a window is summed only from "
                f"observations that cover each of its months exactly once)"
            )
        return None

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
            self._value_text(m, value),
            value.value,
            value.window.label(self.fy),
            format_month(value.window.last),
        )

    def _ranks(self, m: Measure) -> list[RankResult]:
        if m.ranks is None:
            return []
        groups = self.cat.project.peer_groups
        wanted = m.ranks.groups or [g.id for g in groups]
        orgs = [o.id for o in self.cat.project.organisations]
        out = []
        for g in groups:
            if g.id in wanted:
                r = rank_in_group(self.ev, m, g, self.home, self.as_of, orgs)
                if r is not None:
                    out.append(r)
        return out

    def _rank(self, r: RankResult, m: Measure) -> Rank:
        period, basis = period_and_basis(
            m, r.measure, r.window_kind, r.end, r.per_population, self.fy
        )

        def text(x: float | None) -> str | None:
            return value_text(r.measure, r.per_population, x)

        v = r.verdict
        from kpiboard.formatting import ordinal

        return Rank(
            group_id=r.group.id,
            group=r.group.name,
            rank=r.rank,
            of=r.of,
            text=f"{ordinal(r.rank)}/{r.of}",
            period=period,
            basis=basis,
            group_value=r.pooled,
            group_value_text=text(r.pooled),
            mean_of_rates=r.mean,
            mean_of_rates_text=text(r.mean),
            verdict=v.verdict if v else None,
            verdict_text=v.phrase(r.measure.polarity) if v else None,
            verdict_method=v.method if v else None,
            p_value=v.p_value if v else None,
            peer_value=v.peer_value if v else None,
            peer_value_text=text(v.peer_value) if v else None,
            limits_95=v.limits_95 if v else None,
            limits_998=v.limits_998 if v else None,
            beyond_998=v.beyond_998 if v else None,
            rising=r.rising,
            rising_of=r.rising_of,
        )

    def _ratio(self, m: Measure, latest: Value, target: Resolved | None) -> RatioFigures | None:
        if m.kind is not MeasureKind.RATIO or latest.ratio is None or len(latest.parts) != 2:
            return None
        ref = latest.parts[1].value
        goal = target.level / ref if target and target.level is not None and ref else None
        return RatioFigures(
            value=latest.ratio,
            text=ratio_to_one(latest.ratio),
            reference=ref,
            reference_text=with_unit(ref, "%", 1),
            target=goal,
            target_text=ratio_to_one(goal) if goal is not None else None,
        )

    # -- texts --------------------------------------------------------------------------------
    def _value_text(self, m: Measure, v: Value) -> str:
        if m.kind is MeasureKind.SNAPSHOT and v.numerator is not None and v.denominator:
            return f"{number(v.numerator, m.decimals)}/{number(v.denominator, m.decimals)}"
        text = with_unit(v.value, m.unit, m.decimals)
        if m.kind is MeasureKind.RATIO and v.ratio is not None:
            text += f" ({ratio_to_one(v.ratio)})"
        return text

    def _period_label(self, m: Measure, v: Value) -> str:
        label = v.window.label(self.fy)
        return f"{m.figure_label} ({label})" if m.figure_label else label

    def _latest_figure(self, m: Measure, v: Value, change: Change | None) -> Figure:
        if change is not None and change.percent is not None:
            return Figure(
                change.percent_text or "",
                change.percent,
                self._period_label(m, v),
                format_month(v.window.last),
            )
        return Figure(
            self._value_text(m, v), v.value, self._period_label(m, v), format_month(v.window.last)
        )

    def _comparator_figure(self, m: Measure, comp: Value | None) -> Figure | None:
        if comp is None:
            return None
        return Figure(
            self._value_text(m, comp),
            comp.value,
            comp.window.label(self.fy),
            format_month(comp.window.last),
        )

    def _target_figure(
        self, m: Measure, t: Target | None, r: Resolved | None, latest: Value | None
    ) -> Figure | None:
        if m.tracking:
            return Figure("Tracking measure", None)
        if t is None:
            return None
        fy = fy_label(self.as_of, self.fy)
        if t.change is not None:
            auto = target_text(t.change, m.unit, decimals_of(t.change), change=True)
            return Figure(t.text or auto, t.change, fy)
        level = r.level if r is not None else t.level
        if level is None:
            return Figure(t.text or "", None, fy)
        decimals = m.decimals if t.level is None else decimals_of(t.level)
        auto = target_text(level, m.unit, decimals, op=t.op)
        if t.baseline_reduction is not None:
            br = t.baseline_reduction
            auto += f" ie {number(br.percent)}% reduction on {baseline_years(br)} baseline average"
        if (
            m.kind is MeasureKind.RATIO
            and latest is not None
            and len(latest.parts) == 2
            and latest.parts[1].value
        ):
            auto += f" ({ratio_to_one(level / latest.parts[1].value)})"
        text = t.text or auto
        if (
            t.text
            and m.kind is MeasureKind.RATIO
            and latest is not None
            and len(latest.parts) == 2
            and latest.parts[1].value
        ):
            text += f" (or {ratio_to_one(level / latest.parts[1].value)})"
        return Figure(text, level, fy)

    def _milestones(self, m: Measure) -> tuple[Milestone, ...]:
        out = []
        for ms in m.milestones:
            mm = parse_month(ms.by)
            out.append(
                Milestone(
                    text=with_unit(ms.level, m.unit, m.decimals),
                    value=ms.level,
                    by=ms.by,
                    by_text=f"{MONTH_ABBR[month_of(mm) - 1]} {year_of(mm)}",
                )
            )
        return tuple(out)

    def _provisional_sentence(self, m: Measure, latest: Value) -> str:
        months = [
            mm
            for mm in range(latest.window.first, latest.window.last + 1)
            if (row := self.ev.data.window_row(self.home, m.id, mm)) and row.month.prov
        ]
        if months:
            return f"Figures for {span_label(min(months), max(months))} are provisional"
        return "Includes provisional figures"
