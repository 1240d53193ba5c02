"""Where the engine meets the warehouse, and nowhere else: the engine says what a scorecard
or a league table needs, the warehouse fetches it, the engine builds from it.

>>> card = assemble_scorecard(cat, wh.scorecard_observations(cat), parse_month("2009-08"))  # doctest: +SKIP
"""

from __future__ import annotations

import ibis.expr.types as ir

from kpiboard.catalogue import Catalogue
from kpiboard.engine.build import build_scorecard
from kpiboard.engine.league import build_league, league_request
from kpiboard.engine.needs import all_months_request, before_any_data, scorecard_request
from kpiboard.scorecard import League, Scorecard
from kpiboard.warehouse import Observations


def _reads(observations: Observations | ir.Table) -> Observations:
    return observations if isinstance(observations, Observations) else Observations(observations)


def assemble_scorecard(
    cat: Catalogue, observations: Observations | ir.Table, as_of: int, org: str | None = None
) -> Scorecard:
    """The scorecard of ``org`` (default: the project's organisation) as of month ``as_of``,
    from ``observations`` (``Warehouse.reads``, or an observations table)."""
    reads = _reads(observations)
    home = cat.resolve_org(org or cat.project.organisation)
    data = reads.engine_data(scorecard_request(cat, as_of, home))
    if data.first_month() is None:
        # nothing at or before as_of: say when the data start
        first = reads.engine_data(all_months_request(cat, home)).first_month()
        if first is not None:
            raise before_any_data(as_of, first)
    return build_scorecard(cat, data, as_of, home)


def assemble_league(
    cat: Catalogue,
    observations: Observations | ir.Table,
    as_of: int,
    measure_id: str,
    group_id: str | None = None,
    highlight: str | None = None,
) -> League:
    """The league table of ``measure_id`` (see ``engine.league.build_league``)."""
    request = league_request(cat, as_of, measure_id, group_id, highlight)
    data = _reads(observations).engine_data(request)
    return build_league(cat, data, as_of, measure_id, group_id, highlight)
