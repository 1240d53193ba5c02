"""Why an attempt to deliver failed: recorded in the outbox and logged, never raised to the
load or the publication that caused it."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """One attempt failed; the message says why, for the outbox's ``last_error``."""
