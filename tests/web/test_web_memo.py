"""What the dashboard remembers between requests (kpiboard.web.memo): sessions for a few
seconds and only for reading; commentary state until this process changes it."""

from __future__ import annotations

from pathlib import Path

from appdb_helpers import FAST_HASHER, Clock
from fastapi.testclient import TestClient
from webutil import MONTH, ORG, PASSWORD, csrf_of, sign_in

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore, Role
from kpiboard.web.memo import SESSION_MEMORY_SECONDS, Memo
from kpiboard.web.security import SESSION_COOKIE
from kpiboard.web.service import ScorecardService

PAGE = f"/scorecard/{ORG}/{MONTH}"
KPI = f"{PAGE}/kpi/robbery"


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(service: ScorecardService, store: AppStore, ticks: Ticks) -> TestClient:
    app = create_app(service, store, Dashboard())
    app.state.ctx.sessions = Memo(4096, seconds=SESSION_MEMORY_SECONDS, clock=ticks)
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def _signed_out(response: object) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def test_memo_loads_once_forgets_on_demand_and_after_its_time() -> None:
    ticks, loads = Ticks(), []
    memo: Memo[str, int] = Memo(3, seconds=5, clock=ticks)

    def load(value: int) -> int:
        loads.append(value)
        return value

    assert memo.get("a", lambda: load(1)) == 1
    assert memo.get("a", lambda: load(2)) == 1  # remembered
    ticks.now += 4.9
    assert memo.get("a", lambda: load(3)) == 1
    ticks.now += 0.1
    assert memo.get("a", lambda: load(4)) == 4  # five seconds old: loaded again
    memo.forget("a")
    assert memo.get("a", lambda: load(5)) == 5
    assert memo.get("none", lambda: load(6), keep=lambda v: v != 6) == 6
    assert memo.get("none", lambda: load(7)) == 7  # the refused value was not kept
    assert loads == [1, 4, 5, 6, 7]


def test_memo_forgets_by_pattern_and_stays_within_its_size() -> None:
    memo: Memo[tuple[str, str], int] = Memo(3)
    for key, value in ((("x", "1"), 1), (("x", "2"), 2), (("y", "1"), 3)):
        memo.get(key, lambda v=value: v)
    memo.forget_where(lambda key: key[0] == "x")
    assert memo.get(("x", "1"), lambda: 10) == 10
    assert memo.get(("y", "1"), lambda: 30) == 3
    memo.get(("z", "1"), lambda: 4)  # three keys held: (x, 1), (y, 1), (z, 1)
    memo.get(("w", "1"), lambda: 5)  # a fourth: everything is forgotten first
    assert memo.get(("y", "1"), lambda: 31) == 31


def test_a_value_loaded_across_a_write_is_not_remembered() -> None:
    """A request reads the old state, a save forgets it, the request returns: the old state
    must not be remembered after the save."""
    memo: Memo[str, str] = Memo(10)

    def read_then_write_lands() -> str:
        memo.forget("state")  # the save, between the read and the return
        return "before the save"

    assert memo.get("state", read_then_write_lands) == "before the save"
    assert memo.get("state", lambda: "after the save") == "after the save"
    assert memo.get("state", lambda: "again") == "after the save"  # remembered now


def test_a_signed_out_cookie_reads_nothing_even_just_after(
    service: ScorecardService, app_store: AppStore
) -> None:
    client = _client(service, app_store, Ticks())
    csrf = sign_in(client, "viewer")
    token = client.cookies[SESSION_COOKIE]
    assert client.get(PAGE).status_code == 200  # the session is now remembered
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    client.cookies.set(SESSION_COOKIE, token)  # a copied cookie, replayed
    assert _signed_out(client.get(PAGE))


def test_a_user_deactivated_elsewhere_cannot_write_and_soon_cannot_read(
    service: ScorecardService, app_store: AppStore
) -> None:
    ticks = Ticks()
    client = _client(service, app_store, ticks)
    sign_in(client, "editor")
    csrf = csrf_of(client.get(KPI).text)
    app_store.deactivate("editor")  # as `kpiboard users deactivate` does from another process
    refused = client.post(
        KPI + "/commentary", data={"text": "after deactivation", "csrf_token": csrf}
    )
    assert refused.status_code == 401  # writing checks the database: the session has ended
    assert app_store.revisions(ORG, "robbery", MONTH) == []
    assert client.get(PAGE).status_code == 200  # reading: remembered for a few seconds at most
    ticks.now += SESSION_MEMORY_SECONDS
    assert _signed_out(client.get(PAGE))


def test_an_expired_session_is_not_read_from_memory(
    service: ScorecardService, tmp_path: Path
) -> None:
    clock = Clock()
    store = AppStore.open(
        f"sqlite:///{tmp_path / 'app.sqlite3'}", password_hasher=FAST_HASHER, now=clock
    )
    try:
        store.add_user("viewer", PASSWORD, Role.VIEWER)
        client = _client(service, store, Ticks())
        sign_in(client, "viewer")
        assert client.get(PAGE).status_code == 200
        clock.advance(hours=Dashboard().session_hours)
        assert _signed_out(client.get(PAGE))
    finally:
        store.close()


def test_commentary_saved_through_the_dashboard_shows_at_once(client: TestClient) -> None:
    csrf = sign_in(client, "editor")
    assert client.get(KPI).status_code == 200  # remembered with no commentary
    for text in ("First thoughts.", "Second thoughts."):
        assert (
            client.post(KPI + "/commentary", data={"text": text, "csrf_token": csrf}).status_code
            == 303
        )
        assert text in client.get(KPI).text
        assert (
            client.get(f"/api/commentary/{ORG}/{MONTH}/robbery").json()["revisions"][0]["text"]
            == text
        )


def test_peek_answers_only_what_is_remembered_and_fresh() -> None:
    ticks = Ticks()
    memo: Memo[str, int] = Memo(3, seconds=5, clock=ticks)
    assert memo.peek("a", None) is None  # never loads
    memo.get("a", lambda: 1)
    assert memo.peek("a", None) == 1
    ticks.now += 5
    assert memo.peek("a", None) is None  # too old
