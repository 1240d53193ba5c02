"""The words every output of a league table shares: the subtitle under the title, the note
beside the home organisation and its peers, and the averages under the table."""

from __future__ import annotations

from kpiboard.leaguetable import League, LeagueRow
from kpiboard.vocabulary import mean_name


def who(row: LeagueRow) -> str:
    return "this organisation" if row.highlight else "peer" if row.in_group else ""


def averages(league: League) -> list[str]:
    out = []
    if league.pooled_text:
        out.append(
            f"{league.group.name} pooled (sum of counts / sum of populations): {league.pooled_text}"
        )
    if league.mean_of_rates_text:
        mean = mean_name(league.measure.unit)
        out.append(f"{league.group.name} {mean}: {league.mean_of_rates_text}")
    if league.missing:
        out.append("No figure: " + ", ".join(o.name for o in league.missing))
    return out


def subtitle(league: League) -> str:
    better = league.measure.polarity.replace("_", " ")
    return (
        f"{league.measure.basis}; {league.group.of} members of {league.group.name}, "
        f"best first ({better})"
    )
