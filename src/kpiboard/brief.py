"""The executive summary at the top of a board pack, drafted from the figures (docs/OUTPUTS.md,
"Executive summary").

The draft compares the month's Scorecard with the scorecard of the last pack — its JSON, the
contract in docs/DESIGN.md, as the pack froze it (a published pack's ``scorecard_json``, or the
previous month's scorecard where nothing was published) — so a sentence says what the board saw
then, never a recomputed figure. In this order:

1. the counts by status, and the last pack's counts beside them;
2. the KPIs that moved to Red or Amber (then the ones that moved to Green), with the reason;
3. new special-cause signals (a variation icon the last pack did not show), in words;
4. significant changes the last pack did not show: the latest figure against its comparator
   where the test says more than chance (the sentence without its p-value: the method stays in
   the detail and the appendix);
5. ranks that moved within the same peer group.

Without a last pack there is nothing to compare with: the exceptions themselves are listed
(every Red and Amber KPI, every special cause, every significant change). Each sentence names the
rows it is about (their measure ids), so an output links it to them.

>>> s = draft_summary(card, previous_json, "the pack for Jul-09")  # doctest: +SKIP
>>> s.lines[0].text  # doctest: +SKIP
'8 Red, 10 Amber and 7 Green of 25 KPIs with a status (the pack for Jul-09: 7 Red, ...).'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kpiboard.executive import ExecutiveSummary, SummaryLine
from kpiboard.scorecard import Row, Scorecard, json_rows
from kpiboard.vocabulary import Status, SummaryKind, Variation

_ORDER = (Status.RED, Status.AMBER, Status.GREEN)

# The commentary key an editor's text of the executive summary is saved under, beside the
# measures' own (numbered revisions, audited, frozen with the pack like any commentary).
SUMMARY_KEY = "_summary"


def draft_summary(
    card: Scorecard, previous: Mapping[str, Any] | None, since: str | None = None
) -> ExecutiveSummary:
    """The draft summary of ``card`` against ``previous`` (the last pack's scorecard as JSON,
    None for a first pack); ``since`` names the last pack in words ("the pack for Jul-09",
    default "<its month>")."""
    rows = card.all_rows()
    before = json_rows(previous) if previous is not None else None
    if previous is not None and since is None:
        since = f"{previous.get('as_of_text') or previous.get('as_of')}"
    names = labels(card)
    lines = [_counts(rows, before, since)]
    if before is None:
        lines += _exceptions(rows, names)
    else:
        lines += _moves(rows, names, before)
        lines += _signals(rows, names, before)
        lines += _significant(rows, names, before)
        lines += _rank_moves(rows, names, before)
    return ExecutiveSummary(
        as_of=card.as_of,
        since=since if before is not None else None,
        since_as_of=str(previous.get("as_of")) if previous is not None else None,
        lines=tuple(lines),
    )


def labels(card: Scorecard) -> dict[str, str]:
    """How sentences name the rows, by measure id: reference and title ("2a User
    satisfaction"); a row without a reference of its own (a breakdown under a KPI) with its
    parent's reference ("4d: and of these, the number for cocaine (inc. crack)")."""
    out: dict[str, str] = {}

    def visit(row: Row, ref: str | None) -> None:
        own = row.id if row.id != row.measure else None
        if own is not None:
            out[row.measure] = f"{own} {row.title}"
        else:
            out[row.measure] = f"{ref}: {row.title}" if ref else row.title
        for child in row.children:
            visit(child, own or ref)

    for row in card.rows:
        visit(row, None)
    return out


def _status_counts(statuses: list[str | None]) -> dict[str, int]:
    return {s.value: sum(1 for x in statuses if x == s.value) for s in _ORDER}


def _counts_text(counts: Mapping[str, int]) -> str:
    parts = [f"{counts[s.value]} {s.value.capitalize()}" for s in _ORDER]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _counts(
    rows: list[Row], before: Mapping[str, Mapping[str, Any]] | None, since: str | None
) -> SummaryLine:
    now = _status_counts([r.status.value if r.status else None for r in rows])
    rated = sum(now.values())
    text = f"{_counts_text(now)} of {rated} KPI{'' if rated == 1 else 's'} with a status"
    if before is not None:
        then = _status_counts([_str(r.get("status")) for r in before.values()])
        if then == now:
            text += f", the same as {since}"
        else:
            text += f" ({since}: {_counts_text(then)})"
    unrated = len(rows) - rated
    if unrated:
        text += f"; {unrated} without one (tracked, in development or no data)"
    return SummaryLine(SummaryKind.COUNTS, text + ".", ())


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _word(status: str | None) -> str:
    return status.capitalize() if status else "no status"


def _reason(row: Row) -> str:
    reason = row.status_reason.strip().rstrip(".")
    return f": {reason}" if reason else ""


def _moves(
    rows: list[Row], names: Mapping[str, str], before: Mapping[str, Mapping[str, Any]]
) -> Iterator[SummaryLine]:
    """Moved to Red or Amber first (worst first), then moved to Green."""
    for wanted in _ORDER:
        for row in rows:
            if row.status is not wanted:
                continue
            old = before.get(row.measure)
            was = _str(old.get("status")) if old is not None else None
            if was == wanted.value:
                continue
            if old is None:
                how = f"is new on the scorecard, {wanted.value.capitalize()}"
            else:
                how = f"moved to {wanted.value.capitalize()} from {_word(was)}"
            kind = SummaryKind.IMPROVED if wanted is Status.GREEN else SummaryKind.MOVED
            yield SummaryLine(kind, f"{names[row.measure]} {how}{_reason(row)}.", (row.measure,))


def _special(row: Row) -> bool:
    return row.spc is not None and row.spc.variation is not Variation.COMMON_CAUSE


def _signal_line(row: Row, names: Mapping[str, str]) -> SummaryLine:
    assert row.spc is not None
    text = f"{names[row.measure]}: {row.spc.variation_text.lower()}"
    if row.spc.rule_text:
        text += f" ({row.spc.rule_text})"
    return SummaryLine(SummaryKind.SIGNAL, text + ".", (row.measure,))


def _signals(
    rows: list[Row], names: Mapping[str, str], before: Mapping[str, Mapping[str, Any]]
) -> Iterator[SummaryLine]:
    for row in rows:
        if not _special(row):
            continue
        assert row.spc is not None
        old = before.get(row.measure)
        spc = old.get("spc") if old is not None else None
        was = spc.get("variation") if isinstance(spc, Mapping) else None
        if was != row.spc.variation.value:
            yield _signal_line(row, names)


def _significant_text(row: Row, name: str) -> str | None:
    sig = row.significance
    if sig is None or not sig.significant:
        return None
    text = sig.text
    # the method and p-value, in brackets at the end, stay in the detail and the appendix
    cut = text.rfind(" (")
    if cut > 0 and text.endswith(f"{sig.p_text})"):
        text = text[:cut]
    return f"{name}: {text[0].lower()}{text[1:]}"


def _was_significant(old: Mapping[str, Any] | None) -> bool:
    sig = old.get("significance") if old is not None else None
    return isinstance(sig, Mapping) and bool(sig.get("significant"))


def _significant(
    rows: list[Row],
    names: Mapping[str, str],
    before: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[SummaryLine]:
    """Significant changes; against a last pack, only those it did not already show."""
    for row in rows:
        if before is not None and _was_significant(before.get(row.measure)):
            continue
        text = _significant_text(row, names[row.measure])
        if text is not None:
            yield SummaryLine(SummaryKind.SIGNIFICANT, text + ".", (row.measure,))


def _rank_moves(
    rows: list[Row], names: Mapping[str, str], before: Mapping[str, Mapping[str, Any]]
) -> Iterator[SummaryLine]:
    for row in rows:
        old = before.get(row.measure)
        if old is None:
            continue
        old_ranks = {
            str(r.get("group_id")): r for r in old.get("ranks") or () if isinstance(r, Mapping)
        }
        for rank in row.ranks:
            was = old_ranks.get(rank.group_id)
            if was is None or was.get("rank") == rank.rank or was.get("of") != rank.of:
                continue
            way = "up" if rank.rank < int(was["rank"]) else "down"
            text = (
                f"{names[row.measure]}: {rank.text} in {rank.group}, {way} from {was.get('text')}"
            )
            yield SummaryLine(SummaryKind.RANK, text + ".", (row.measure,))


def _exceptions(rows: list[Row], names: Mapping[str, str]) -> Iterator[SummaryLine]:
    """A first pack: the exceptions as they stand."""
    for wanted in (Status.RED, Status.AMBER):
        for row in rows:
            if row.status is wanted:
                text = f"{names[row.measure]} is {wanted.value.capitalize()}{_reason(row)}."
                yield SummaryLine(SummaryKind.MOVED, text, (row.measure,))
    for row in rows:
        if _special(row):
            yield _signal_line(row, names)
    yield from _significant(rows, names)
