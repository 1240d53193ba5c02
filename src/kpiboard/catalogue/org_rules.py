"""The organisation rules: ids unique, every spelling (id, name, alias) naming one organisation,
built-in ones included, and the home organisation and peer group members known."""

from __future__ import annotations

from collections.abc import Iterator

from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.orgs import builtin_organisations, normalise_org_name
from kpiboard.catalogue.rule_findings import at_project
from kpiboard.catalogue.schema import Organisation
from kpiboard.catalogue.yamlfile import Loc
from kpiboard.errors import Finding

ADD = "add it to organisations"


def organisations(cat: Catalogue) -> Iterator[Finding]:
    """Ids unique, every spelling naming one organisation (built-in ones included), the home
    organisation and peer group members known."""
    table = cat.project.builtin_organisations
    builtin = {o.id: o for o in builtin_organisations(table)} if table else {}
    seen: dict[str, str] = {}  # normalised spelling -> organisation id
    for org in builtin.values():
        for name in (org.id, org.name or "", *org.aliases):
            seen.setdefault(normalise_org_name(name), org.id)
    yield from _declared(cat, builtin, seen)
    yield from _home(cat, seen)
    yield from _peer_group_members(cat)


def _declared(
    cat: Catalogue, builtin: dict[str, Organisation], seen: dict[str, str]
) -> Iterator[Finding]:
    """The organisations of kpiboard.yaml, in order, each spelling added to ``seen`` as it is
    read (so a clash names the organisation that had the spelling first)."""
    ids: set[str] = set()
    for i, org in enumerate(cat.declared_organisations or []):
        if org.id in ids:
            yield at_project(
                cat,
                "error",
                f"duplicate organisation id {org.id!r}",
                "give each organisation its own id",
                at=("organisations", i, "id"),
            )
            continue
        ids.add(org.id)
        extends = org.id in builtin
        if org.name is None and not extends and normalise_org_name(org.id) not in seen:
            # (an id that is a built-in spelling gets the clash below, which says how to extend)
            hint = (
                "give it a name, or use a built-in organisation's id to extend that one"
                if cat.project.builtin_organisations
                else "give it a name"
            )
            yield at_project(
                cat, "error", f"organisation {org.id!r} has no name", hint, at=("organisations", i)
            )
        yield from _spellings(cat, i, org, builtin, seen)


def _spellings(
    cat: Catalogue,
    i: int,
    org: Organisation,
    builtin: dict[str, Organisation],
    seen: dict[str, str],
) -> Iterator[Finding]:
    """Organisation ``i``'s id, name and aliases: each one not naming another organisation
    already is added to ``seen``."""
    names: list[tuple[str, Loc]] = [(org.id, ("organisations", i, "id"))]
    if org.name is not None:
        names.append((org.name, ("organisations", i, "name")))
    names += [(a, ("organisations", i, "aliases", j)) for j, a in enumerate(org.aliases)]
    extends = org.id in builtin
    for name, loc in names:
        key = normalise_org_name(name)
        if key in seen and seen[key] != org.id:
            other = seen[key]
            hint = (
                f"{other!r} is a built-in organisation; to extend it, use id: {other}"
                if other in builtin and not extends
                else "an alias must belong to one organisation"
            )
            yield at_project(
                cat, "error", f"{name!r} names both {other!r} and {org.id!r}", hint, at=loc
            )
            continue
        seen[key] = org.id


def _home(cat: Catalogue, seen: dict[str, str]) -> Iterator[Finding]:
    index = cat.org_index()
    home = cat.project.organisation
    if normalise_org_name(home) not in seen:
        near = index.did_you_mean(home)
        yield at_project(
            cat,
            "error",
            f"home organisation {home!r} is not in organisations",
            f"{near} Otherwise {ADD}" if near else ADD,
            at=("organisation",),
        )


def _peer_group_members(cat: Catalogue) -> Iterator[Finding]:
    index = cat.org_index()
    for g, group in enumerate(cat.project.peer_groups):
        if group.members == "all":
            continue
        named: dict[str, int] = {}
        for j, member in enumerate(group.members):
            found = index.get(member)
            if found is None:
                near = index.did_you_mean(member)
                yield at_project(
                    cat,
                    "error",
                    f"peer group {group.id!r}: unknown organisation {member!r}",
                    f"{near} Otherwise {ADD}" if near else ADD,
                    at=("peer_groups", g, "members", j),
                )
            elif found in named:
                yield at_project(
                    cat,
                    "warning",
                    f"peer group {group.id!r} names {found!r} twice",
                    f"members {named[found] + 1} and {j + 1} are the same organisation",
                    at=("peer_groups", g, "members", j),
                )
            else:
                named[found] = j
