"""Server-sent events of a submission's state (GET /v1/submissions/{id}/events): a browser shows a
progress bar without polling.

The stream reads the submission's row (status, and the progress the consumer stores from the
worker's ProgressMessages) every POLL_S and sends an `event: state` whenever it changed; the final
state (JUDGED or FAILED) is the last event. Reading the database, not a process's memory, is what
lets any API process serve any stream. A comment line every HEARTBEAT_S keeps proxies from closing a
quiet stream; after MAX_STREAM_S the stream ends with `event: timeout` (the client reconnects).
Behind API Gateway and Lambda (Mangum) a response is sent only once the function returns, within its
timeout: EVENTS_MAX_STREAM_S (Terraform sets it a little under that timeout) ends the stream in time,
so the client gets the events so far and a `timeout` to reconnect on, not a 504.
An async generator: a waiting stream holds no thread, only each read of the row takes one.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from backend.intake import Rejected

POLL_S, HEARTBEAT_S, MAX_STREAM_S = 0.5, 15.0, 900.0
FINAL = frozenset({"JUDGED", "FAILED"})


def max_stream_from_env(env: Mapping[str, str] | None = None) -> float:
    """EVENTS_MAX_STREAM_S (seconds, > 0), or MAX_STREAM_S when unset."""
    env = os.environ if env is None else env
    raw = env.get("EVENTS_MAX_STREAM_S") or str(MAX_STREAM_S)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise RuntimeError(f"EVENTS_MAX_STREAM_S must be a number of seconds above 0, got {raw!r}")
    return value


def _state(view) -> dict:
    return {"status": view.status, "tests_done": view.tests_done, "tests_total": view.tests_total,
            "verdict": view.verdict}


def sse(event: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def submission_events(read: Callable[[], object], *, clock: Callable[[], float] = time.monotonic,
                            sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, poll_s: float = POLL_S,
                            max_stream_s: float = MAX_STREAM_S) -> AsyncIterator[str]:
    """The event stream over `read()` (the submission's current view, read in a worker thread)."""
    started = last_sent = clock()
    previous, sent = None, 0
    while True:
        try:
            view = await asyncio.to_thread(read)
        except Rejected:  # deleted meanwhile
            yield sse("gone", {"status": None})
            return
        state = _state(view)
        if state != previous:
            sent += 1
            yield sse("state", state, sent)
            previous, last_sent = state, clock()
            if view.status in FINAL:
                return
        elif clock() - last_sent >= HEARTBEAT_S:
            yield ": keep-alive\n\n"
            last_sent = clock()
        if clock() - started >= max_stream_s:
            yield sse("timeout", state)
            return
        await sleep(poll_s)
