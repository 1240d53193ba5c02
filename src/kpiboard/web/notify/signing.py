"""Signing webhook calls, so that a receiver can tell a call came from this kpiboard, unchanged,
and recently (docs/SECURITY.md, "Webhook signatures", has a worked example).

The signature is HMAC-SHA256, keyed by the webhook's secret, over the timestamp header's value,
a full stop, and the exact bytes of the body:

    X-Kpiboard-Signature: sha256=<hex of HMAC-SHA256(key, timestamp + "." + body)>

>>> signature(b"key", "1700000000", b'{"vintage":3}')
'sha256=f91315c0961a6b0d434155eae222b8b990827ab7ed747f2eca78c0463990d735'
>>> body, sent = b'{"vintage":3}', "1700000000"
>>> verify(b"key", sent, body, signature(b"key", sent, body), now=1700000100)
True
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Kpiboard-Signature"
TIMESTAMP_HEADER = "X-Kpiboard-Timestamp"  # Unix seconds when the attempt was made, covered
DELIVERY_HEADER = "X-Kpiboard-Delivery"  # the same on every attempt: the idempotency key
TOLERANCE_SECONDS = 300  # what a receiver should accept between the timestamp and its clock


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Kpiboard-Signature`` value for a body sent at ``timestamp``."""
    mac = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    key: bytes,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: the signature matches (compared in constant time) and the
    timestamp is within ``tolerance`` seconds of ``now`` (so a recorded call cannot be
    replayed later)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(key, timestamp, body), header)
