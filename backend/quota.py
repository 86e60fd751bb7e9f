"""Per-user rate limits, kept in the database so every API process draws on the same budget.

A token bucket per user and action (`rate_limits`, migration 0004): `requests` tokens at most, refilled
at `requests / per_s` a second, one taken per request. The bucket's row is locked while it is read and
written (SELECT ... FOR UPDATE), so concurrent requests through different processes are counted one
after the other; times are the database's (NOW(6)), so API hosts' clocks do not matter.

    SUBMISSION_RATE_LIMIT=30/60     30 submissions per 60 s, in bursts of up to 30 (the default)
    SUBMISSION_RATE_LIMIT=off       no limit
    RUN_RATE_LIMIT=60/60            runs on custom input, a bucket of their own (the default)
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from backend.intake import Rejected
from store import repositories as repo
from store.config import Database

DEFAULT_SUBMISSION_RATE_LIMIT = "30/60"
DEFAULT_RUN_RATE_LIMIT = "60/60"  # a Run button is pressed more often than Submit
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_s: float

    @classmethod
    def parse(cls, spec: str, variable: str = "rate limit") -> RateLimit | None:
        """"N/S" (N requests per S seconds) or "off"; None means no limit."""
        if spec.strip().lower() in ("off", "none", "0"):
            return None
        match = _SPEC.match(spec)
        if not match or int(match[1]) < 1 or float(match[2]) <= 0:
            raise RuntimeError(f"{variable} must be N/S (N requests per S seconds, e.g. 30/60) or off, not {spec!r}")
        return cls(int(match[1]), float(match[2]))

    @property
    def seconds_per_token(self) -> float:
        return self.per_s / self.requests


@dataclass(frozen=True)
class QuotaConfig:
    submissions: RateLimit | None = RateLimit(30, 60)
    runs: RateLimit | None = RateLimit(60, 60)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> QuotaConfig:
        env = os.environ if env is None else env
        return cls(RateLimit.parse(env.get("SUBMISSION_RATE_LIMIT") or DEFAULT_SUBMISSION_RATE_LIMIT,
                                   "SUBMISSION_RATE_LIMIT"),
                   RateLimit.parse(env.get("RUN_RATE_LIMIT") or DEFAULT_RUN_RATE_LIMIT, "RUN_RATE_LIMIT"))


class RateLimited(Rejected):
    def __init__(self, action: str, limit: RateLimit, retry_after_s: int):
        super().__init__(429, "rate_limited",
                         f"over {limit.requests} {action}s per {limit.per_s:g} s; retry in {retry_after_s} s",
                         {"Retry-After": str(retry_after_s)}, retry_after_s=retry_after_s)


class Quota:
    def __init__(self, db: Database, config: QuotaConfig):
        self.db, self.config = db, config

    def take_submission(self, user: repo.User, idempotency_key: str | None = None) -> None:
        """Charge one submission to the user's bucket, or RateLimited with the seconds to wait. A retry
        with an Idempotency-Key already used is not charged: it makes no new submission."""
        self._take(user, "submission", self.config.submissions, idempotency_key)

    def take_run(self, user: repo.User) -> None:
        """Charge one run on custom input to the user's run bucket (apart from submissions')."""
        self._take(user, "run", self.config.runs)

    def _take(self, user: repo.User, action: str, limit: RateLimit | None, idempotency_key: str | None = None) -> None:
        if limit is None:
            return
        with self.db.transaction() as cur:
            if idempotency_key is not None and repo.get_idempotency_key(cur, user.id, idempotency_key):
                return
            tokens, elapsed_s, now = repo.lock_bucket(cur, user.id, action, limit.requests)
            tokens = min(float(limit.requests), tokens + elapsed_s / limit.seconds_per_token)
            if tokens >= 1:
                repo.set_bucket(cur, user.id, action, tokens - 1, now)
                return
            repo.set_bucket(cur, user.id, action, tokens, now)
        raise RateLimited(action, limit, max(1, math.ceil((1 - tokens) * limit.seconds_per_token)))
