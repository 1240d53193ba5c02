"""Which of the other organisations' rows one organisation's scorecard reads, so that its cost
is its own rather than the whole cube's.

The scorecard reads other organisations only to rank the home one (``engine/peers.py``): for
each ranked measure, the windows ending at the home organisation's latest figure, where the
search for the period with the most members' data stops at once when every member has one,
and a year before it (how many rose). So it asks first for the home organisation's rows
(:func:`home_request`), then, from them, for the others' rows of what each rank is made of at
those two months only (:func:`peer_request`); populations and snapshots, which are read as at
any earlier month, in full, with the home's rows. Where a rank finds a member without data there, it searches
earlier months, and asks for the 36 months it may read (:func:`peer_shortfall`, run before
the build, so a scorecard is still built once): the data say which months they hold
(``EngineData.peers_at``), and a rank never reads a month it was not given (it raises
``PeerMonthsNeeded``). The figures are the same as from every organisation's full history.
"""

from __future__ import annotations

from dataclasses import replace

from kpiboard.catalogue import Catalogue
from kpiboard.engine.evaluate import Evaluator
from kpiboard.engine.needs import HISTORY_MONTHS, peer_measures, scorecard_request
from kpiboard.engine.peers import PeerMonthsNeeded, rank_basis, require_reads
from kpiboard.enginedata import EngineData, EngineRequest, PeerReads
from kpiboard.vocabulary import MeasureKind

# Below this many rows of the other organisations' history (organisations x measures the ranks
# read x months kept), one read of everything costs less than the two steps: each extra query
# is compiled by Ibis and run (0.05-0.2 s each, measured on the reference example), while a
# fetched row costs about 3 microseconds to turn into engine data. The examples' 43 forces
# (31,000-41,000 such rows) are read whole; a national cube of 172 organisations x 120 ranked
# measures (1,000,000) in two steps.
WHOLE_READ_ROWS = 50_000


def reads_peers_whole(cat: Catalogue, home: str) -> bool:
    """Whether ``home``'s scorecard reads every organisation's history in one request
    (``needs.scorecard_request``) rather than in the steps below: the same figures, chosen by
    what the other organisations' rows would number."""
    others = sum(1 for o in cat.project.organisations if o.id != home)
    return others * len(peer_measures(cat)) * (HISTORY_MONTHS + 1) < WHOLE_READ_ROWS


def home_request(cat: Catalogue, as_of: int, home: str) -> EngineRequest:
    """Every measure of ``home``, as ``needs.scorecard_request`` reads it; of the other
    organisations, the measures read as at any earlier month (populations, snapshots) in
    full, and the observations of more than one month of what the ranks read (few, and they
    say which series a window may be pieced together from)."""
    ranked = peer_measures(cat)
    return replace(
        scorecard_request(cat, as_of, home),
        peer_measures=frozenset(mid for mid in ranked if _read_whole(cat, mid)),
        peer_recorded=frozenset(ranked),
    )


def peer_request(cat: Catalogue, data: EngineData, as_of: int, home: str) -> EngineRequest:
    """The other organisations' window sums ``home``'s ranks read, from the data of
    :func:`home_request`: of each ranked measure (and what it is made of), at ``home``'s
    latest figure of it and a year earlier."""
    ev = Evaluator(cat, data)
    ends: dict[str, set[int]] = {}
    for m in cat.measures.values():
        if m.ranks is None:
            continue
        basis = rank_basis(cat, m)
        latest = ev.latest(basis.measure.id, home, as_of, basis.window_kind)
        at = {latest.window.last, latest.window.last - 12} if latest is not None else set()
        for mid in basis.reads:
            ends.setdefault(mid, set()).update(at)
    return _request(cat, data, as_of, home, ends)


def peer_shortfall(cat: Catalogue, data: EngineData, as_of: int, home: str) -> EngineRequest | None:
    """The other organisations' window sums the ranks of ``home``'s scorecard need beyond
    ``data`` (None when they need none): every month each rank that searches further back
    may read."""
    ev = Evaluator(cat, data)
    ends: dict[str, set[int]] = {}
    for m in cat.measures.values():
        try:
            require_reads(ev, m, home, as_of)
        except PeerMonthsNeeded as needed:
            for mid in needed.measures:
                ends.setdefault(mid, set()).update(needed.ends)
    return _request(cat, data, as_of, home, ends) if ends else None


def _read_whole(cat: Catalogue, mid: str) -> bool:
    """Read as at any earlier month, so read in full: snapshots and populations."""
    populations = {m.population for m in cat.measures.values()} | {cat.project.population}
    return cat.measures[mid].kind is MeasureKind.SNAPSHOT or mid in populations


def _request(
    cat: Catalogue, data: EngineData, as_of: int, home: str, ends: dict[str, set[int]]
) -> EngineRequest:
    """The window sums at ``ends``; of a measure some other organisation has observations of
    more than one month of, at every month from a year before the first to the last (a
    window may be pieced together from the monthly rows and those observations)."""
    pieced = {mid for (org, mid) in data.recorded if org != home}
    others = []
    for mid, at in sorted(ends.items()):
        if _read_whole(cat, mid):
            continue
        if mid in pieced and at:
            at = set(range(min(at) - 11, max(at) + 1))
        others.append(PeerReads(mid, frozenset(at)))
    return replace(
        scorecard_request(cat, as_of, home),
        measures=frozenset(),
        peer_measures=frozenset(),
        others=tuple(others),
    )
