"""The result webhook's signature: how a worker signs a delivery and how a receiver checks one.

Headers of every delivery:
    X-Judge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the shared secret>
    X-Judge-Delivery:  <uuid of this delivery; the same on each retry of it>

A receiver refuses a delivery whose signature does not match, whose timestamp is further than the
tolerance (default 300 s) from its clock, or that it has seen before (`ReplayGuard`: delivery ids and
signatures seen within the tolerance). A captured request is therefore useless once it is older than
the tolerance, and refused before then because it was seen. Signed with the timestamp, the body cannot
be replayed under a fresh one; the delivery id is not signed, so the guard also remembers signatures
(a replay under a new id carries the old signature).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Judge-Signature"
DELIVERY_HEADER = "X-Judge-Delivery"
DEFAULT_TOLERANCE_S = 300


class WebhookRefused(ValueError):
    """Why a delivery must not be believed; `code` is machine-readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _mac(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature(body: bytes, secret: bytes, timestamp: int) -> str:
    """The X-Judge-Signature value for `body` sent at `timestamp`."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def delivery_headers(body: bytes, secret: bytes, *, timestamp: int | None = None,
                     delivery_id: str | None = None) -> dict[str, str]:
    """The headers of one delivery (pass the same `timestamp` and `delivery_id` on its retries)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {SIGNATURE_HEADER: signature(body, secret, timestamp), DELIVERY_HEADER: delivery_id or str(uuid.uuid4())}


def parse_signature(header: str) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures) of a header value; several v1 entries are allowed (secret rotation)."""
    timestamp, macs = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            macs.append(value)
    if timestamp is None or not macs:
        raise WebhookRefused("malformed_signature", f"{SIGNATURE_HEADER} must be t=<unix seconds>,v1=<hex>")
    return timestamp, macs


def verify(body: bytes, header: str, secret: bytes, *, tolerance_s: float = DEFAULT_TOLERANCE_S,
           now: float | None = None) -> int:
    """Check a delivery's signature and age; its timestamp if it may be believed, else WebhookRefused.
    Replays within the tolerance are `ReplayGuard`'s to refuse."""
    timestamp, macs = parse_signature(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        raise WebhookRefused("stale_timestamp",
                             f"signed at {timestamp}, {abs(now - timestamp):.0f} s from now (tolerance {tolerance_s:g} s)")
    expected = _mac(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, mac) for mac in macs):
        raise WebhookRefused("bad_signature", "the signature does not match the body and the secret")
    return timestamp


class ReplayGuard:
    """A receiver's memory of the deliveries it accepted: at most `max_entries` (the oldest go first),
    each kept as long as the tolerance lets its signature be accepted. Thread-safe; per process
    (several receiver processes need a shared store, e.g. a unique key in their database)."""

    def __init__(self, secret: bytes, *, tolerance_s: float = DEFAULT_TOLERANCE_S, max_entries: int = 10_000):
        self.secret, self.tolerance_s, self.max_entries = secret, tolerance_s, max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()  # delivery id or signature -> when it expires
        self._lock = threading.Lock()

    def check(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> str:
        """Verify a delivery and remember it; its delivery id, or WebhookRefused (a replay included)."""
        now = time.time() if now is None else now
        lowered = {k.lower(): v for k, v in headers.items()}
        header, delivery = lowered.get(SIGNATURE_HEADER.lower()), lowered.get(DELIVERY_HEADER.lower())
        if not header:
            raise WebhookRefused("missing_signature", f"no {SIGNATURE_HEADER} header")
        if not delivery:
            raise WebhookRefused("missing_delivery_id", f"no {DELIVERY_HEADER} header")
        timestamp = verify(body, header, self.secret, tolerance_s=self.tolerance_s, now=now)
        keys = ("id:" + delivery, "sig:" + _mac(self.secret, timestamp, body))
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now:
                self._seen.popitem(last=False)  # expired: its timestamp is refused as stale by now
            if any(key in self._seen for key in keys):
                raise WebhookRefused("replayed_delivery", f"delivery {delivery} was received before")
            for key in keys:
                self._seen[key] = timestamp + self.tolerance_s
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
        return delivery
