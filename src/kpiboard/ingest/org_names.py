"""Organisation names as record files write them, resolved once each: :class:`OrgLookup` caches
what each distinct name means (an organisation id through the catalogue's aliases, a name the
source sets aside, or unknown with the catalogue's hint), for the readers of record sources.

>>> lookup = OrgLookup(catalogue, ["British Transport Police"], str.casefold)  # doctest: +SKIP
>>> lookup.resolve("BRITISH TRANSPORT POLICE").aside  # doctest: +SKIP
'British Transport Police'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpiboard.errors import KpiboardError

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

_ADD_IT = (
    "add the name to the organisation's aliases in kpiboard.yaml, or to the source's "
    "set_aside to skip its rows"
)


@dataclass(frozen=True)
class OrgName:
    """What an organisation name means: an id, a name set aside, or unknown (with a hint)."""

    org: str | None = None
    aside: str | None = None
    unknown: KpiboardError | None = None

    def hint(self) -> str:
        """For an unknown name: the catalogue's nearest names, then how to make it known."""
        near = (self.unknown.hint or "") if self.unknown is not None else ""
        return (
            f"{near} If not, {_ADD_IT}"
            if near.endswith("?")
            else f"{near}; {_ADD_IT}"
            if near
            else _ADD_IT
        )


class OrgLookup:
    """Names resolved once each. A name is set aside if ``key(name)`` is the key of one of
    ``set_aside`` (reported as configured); else it is looked up in the catalogue. Safe to use
    from several threads (the catalogue's name index is built on first use)."""

    def __init__(
        self, catalogue: Catalogue, set_aside: Iterable[str], key: Callable[[str], str]
    ) -> None:
        self.catalogue = catalogue
        self._key = key
        self._aside = {key(name): name for name in set_aside}
        self._cache: dict[str, OrgName] = {}
        self._lock = threading.Lock()

    def resolve(self, text: str) -> OrgName:
        found = self._cache.get(text)
        if found is not None:
            return found
        with self._lock:
            if text not in self._cache:
                aside = self._aside.get(self._key(text))
                if aside is not None:
                    self._cache[text] = OrgName(aside=aside)
                else:
                    try:
                        self._cache[text] = OrgName(org=self.catalogue.resolve_org(text))
                    except KpiboardError as exc:
                        self._cache[text] = OrgName(unknown=exc)
            return self._cache[text]
