"""Calling a webhook: POST the stored JSON body, signed, with the delivery's id."""

from __future__ import annotations

import httpx

from kpiboard import __version__
from kpiboard.web.db import Delivery
from kpiboard.web.notify.failure import DeliveryFailed
from kpiboard.web.notify.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)


def headers(delivery: Delivery, key: bytes, timestamp: int) -> dict[str, str]:
    """The headers of one attempt: a fresh timestamp (and so signature) each time, the same
    delivery id."""
    sent = str(timestamp)
    return {
        "Content-Type": "application/json",
        "User-Agent": f"kpiboard/{__version__}",
        TIMESTAMP_HEADER: sent,
        SIGNATURE_HEADER: signature(key, sent, delivery.payload.encode("utf-8")),
        DELIVERY_HEADER: delivery.delivery_id,
    }


def post(delivery: Delivery, key: bytes, timestamp: int) -> None:
    """One attempt; DeliveryFailed saying why unless the receiver answered 2xx. Redirects are
    not followed: the signed body goes only where kpiboard.yaml says."""
    try:
        with httpx.Client(timeout=delivery.timeout_seconds, follow_redirects=False) as client:
            answer = client.post(
                delivery.target,
                content=delivery.payload.encode("utf-8"),
                headers=headers(delivery, key, timestamp),
            )
    except httpx.TimeoutException:
        raise DeliveryFailed(
            f"no answer within {delivery.timeout_seconds:g} s from {delivery.target}"
        ) from None
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"cannot reach {delivery.target}: {exc}") from None
    if not answer.is_success:
        raise DeliveryFailed(
            f"{delivery.target} answered {answer.status_code} {answer.reason_phrase}".rstrip()
        )
