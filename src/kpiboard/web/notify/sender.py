"""Sending what the outbox holds: one attempt at a claimed delivery, every due delivery, and
the dashboard's background sender (a thread that `kpiboard serve` starts and stops with the
server).

A failure is never raised to whoever asked: it is recorded on the delivery (its ``last_error``,
the next attempt after the backoff) and handed to ``log`` — stderr for the command line, the
audit log (``delivery_failed``) for the dashboard.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from kpiboard.catalogue.delivery import Announcements
from kpiboard.errors import KpiboardError
from kpiboard.web.db import AppStore, Channel, Delivery
from kpiboard.web.notify import mail, webhook
from kpiboard.web.notify.failure import DeliveryFailed

Log = Callable[[Delivery], None]
POLL_SECONDS = 30.0  # the background sender looks at the outbox at least this often
BATCH = 100

logger = logging.getLogger(__name__)


def _webhook_key(settings: Announcements, url: str) -> bytes:
    hook = next((h for h in settings.webhooks if h.url == url), None)
    if hook is None:
        raise DeliveryFailed(f"no webhook for {url} in kpiboard.yaml any more; it is not sent")
    key = os.environ.get(hook.secret_env)
    if not key:
        raise DeliveryFailed(
            f"the environment variable {hook.secret_env} (the key that signs calls to {url}) "
            "is not set where kpiboard runs"
        )
    return key.encode("utf-8")


def _send(store: AppStore, settings: Announcements, delivery: Delivery) -> None:
    match delivery.channel:
        case Channel.WEBHOOK:
            key = _webhook_key(settings, delivery.target)
            webhook.post(delivery, key, int(store.now().timestamp()))
        case Channel.EMAIL:
            if settings.email is None:
                raise DeliveryFailed("no `announcements: email:` in kpiboard.yaml any more")
            content = mail.Mail.from_json(delivery.payload)
            msg = mail.message(settings.email, delivery.target, content, delivery.delivery_id)
            mail.send(settings.email, msg, delivery.timeout_seconds)


def attempt(
    store: AppStore, settings: Announcements, delivery: Delivery, log: Log | None = None
) -> Delivery | None:
    """Claim and try a due delivery once; its new state, or None when another sender has it."""
    if not store.claim(delivery):
        return None
    try:
        _send(store, settings, delivery)
    except DeliveryFailed as exc:
        failed = store.failed(delivery, str(exc))
        if log is not None:
            log(failed)
        return failed
    return store.delivered(delivery)


def send_due(store: AppStore, settings: Announcements, log: Log | None = None) -> list[Delivery]:
    """Try every delivery due now, once; what became of each this sender tried."""
    done = []
    for delivery in store.due(BATCH):
        after = attempt(store, settings, delivery, log)
        if after is not None:
            done.append(after)
    return done


def describe(d: Delivery) -> str:
    """One line for people: what, to whom, and how it stands."""
    head = f"{d.channel.value} {d.what} to {d.target}: {d.state}"
    if d.state == "delivered":
        return f"{head} ({d.attempts} attempt{'s' if d.attempts != 1 else ''})"
    tried = f"{d.attempts} of {d.max_attempts} attempts"
    when = "" if d.next_attempt_at is None else f", next at {d.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    why = f"; last error: {d.last_error}" if d.last_error else ""
    return f"{head} ({tried}{when}){why}"


class BackgroundSender:
    """Sends due deliveries until stopped: `kpiboard serve` starts one with the server and
    stops it when the server stops. ``wake`` makes it look now (something was enqueued)."""

    def __init__(
        self,
        store: AppStore,
        settings: Callable[[], Announcements],
        log: Log | None = None,
        before: Callable[[], object] | None = None,
    ) -> None:
        # settings are asked for each round, so a reload's new kpiboard.yaml applies at once;
        # ``before`` runs first in each round (the dashboard enqueues the reminders due)
        self._store, self._settings, self._log = store, settings, log
        self._before = before
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kpiboard-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop and wait for the thread: at most the attempt in progress (bounded by its
        timeout) is finished first."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._before is not None:
                    self._before()
                send_due(self._store, self._settings(), self._log)
            except (
                SQLAlchemyError,
                KpiboardError,
            ):  # a database hiccup must not end the sender; try again later
                logger.exception("the background sender could not read the outbox")
            self._wake.wait(self._wait())
            self._wake.clear()

    def _wait(self) -> float:
        try:
            due = self._store.next_due()
        except SQLAlchemyError:  # as above: look again at the next poll
            return POLL_SECONDS
        if due is None:
            return POLL_SECONDS
        return max(0.0, min(POLL_SECONDS, (due - self._store.now()).total_seconds()))


def audit_failures(store: AppStore) -> Log:
    """The dashboard's log of failed deliveries: the audit log (``delivery_failed``)."""

    def log(d: Delivery) -> None:
        detail: dict[str, object] = {
            "delivery_id": d.delivery_id,
            "channel": d.channel.value,
            "target": d.target,
            "what": d.what,
            "attempts": d.attempts,
            "state": d.state,
            "error": d.last_error,
        }
        store.audit("delivery_failed", None, detail)

    return log
