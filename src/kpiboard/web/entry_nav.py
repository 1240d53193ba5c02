"""Whether the dashboard's nav links to "Your figures" (the figures a person enters and
approves, docs/ENTRY.md): known from the catalogue and the person's role alone, so a page
cached per role shows the link rightly to everyone of that role."""

from __future__ import annotations

from kpiboard.catalogue import Catalogue
from kpiboard.web.db import Role
from kpiboard.web.db.entries import ROLE_PREFIX, allowed


def shows_entries(catalogue: Catalogue, role: Role | None) -> bool:
    """True for a signed-in person of ``role`` when their role may enter or approve some
    measure, or some measure names people by username (who are then shown the link whatever
    their role; the page says when nothing is theirs)."""
    if role is None:
        return False
    for m in catalogue.measures.values():
        if m.entry is None:
            continue
        names = [*m.entry.enter, *m.entry.approve]
        if any(not n.startswith(ROLE_PREFIX) for n in names) or allowed(names, "", role):
            return True
    return False
