"""What the functions bill, read from their REPORT log lines, and what that costs at list prices.

The local Lambda executor writes a REPORT line per invocation as Lambda does (`Billed Duration`,
`Memory Size`, `Max Memory Used`, `Init Duration` on a cold start), so the same reading works on
LocalStack's CloudWatch Logs here and on a real account's.

    usage = billed(logs_client, {"worker_cpp": "oj-worker-cpp", ...})   # {role: Usage}
    dollars_per_thousand(usage_per_submission, "x86_64")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Lambda's list prices (us-east-1, first pricing tier): per GB-second of billed duration by
# architecture, and per request.
PRICE_PER_GB_S = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
PRICE_PER_REQUEST = 0.20 / 1_000_000


@dataclass
class Usage:
    """One function's invocations: their count, billed GB-seconds, and the largest memory seen."""

    invocations: int = 0
    gb_seconds: float = 0.0
    max_memory_mb: int = 0
    memory_size_mb: int = 0
    cold_starts: int = 0
    request_ids: set[str] = field(default_factory=set, repr=False)

    def add(self, fields: dict[str, str]) -> None:
        billed_ms = float(fields["Billed Duration"].split()[0])
        self.memory_size_mb = int(fields["Memory Size"].split()[0])
        self.gb_seconds += billed_ms / 1000 * self.memory_size_mb / 1024
        self.invocations += 1
        self.max_memory_mb = max(self.max_memory_mb, int(fields.get("Max Memory Used", "0 MB").split()[0]))
        self.cold_starts += "Init Duration" in fields

    def minus(self, before: Usage) -> Usage:
        return Usage(self.invocations - before.invocations, self.gb_seconds - before.gb_seconds,
                     self.max_memory_mb, self.memory_size_mb, self.cold_starts - before.cold_starts)

    def to_json(self) -> dict:
        return {"invocations": self.invocations, "gb_seconds": round(self.gb_seconds, 3),
                "memory_size_mb": self.memory_size_mb, "max_memory_used_mb": self.max_memory_mb,
                "cold_starts": self.cold_starts}


def report_fields(message: str) -> dict[str, str] | None:
    """The fields of a REPORT line (`Billed Duration` -> "123 ms", ...), or None for another line."""
    if not message.startswith("REPORT"):
        return None
    parts = message.strip().split("\t")
    fields = dict(part.split(": ", 1) for part in parts[1:] if ": " in part)
    fields["RequestId"] = parts[0].removeprefix("REPORT RequestId: ").strip()
    return fields


def billed(logs, function_names: dict[str, str]) -> dict[str, Usage]:
    """Usage per role, from every REPORT line in each function's log group so far."""
    totals: dict[str, Usage] = {}
    for role, name in function_names.items():
        usage = totals[role] = Usage()
        try:
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}"):
                for event in page["events"]:
                    fields = report_fields(event["message"])
                    if fields and fields["RequestId"] not in usage.request_ids:  # a line seen twice counts once
                        usage.request_ids.add(fields["RequestId"])
                        usage.add(fields)
        except logs.exceptions.ResourceNotFoundException:
            continue
    return totals


def difference(after: dict[str, Usage], before: dict[str, Usage]) -> dict[str, Usage]:
    return {role: usage.minus(before.get(role, Usage())) for role, usage in after.items()}


def dollars_per_thousand(usage: dict[str, Usage], architecture: str = "x86_64", submissions: int = 1) -> float:
    """List price of 1,000 submissions that each bill `usage` / `submissions`, requests included."""
    gb_s = sum(u.gb_seconds for u in usage.values())
    requests = sum(u.invocations for u in usage.values())
    return 1000 * (gb_s * PRICE_PER_GB_S[architecture] + requests * PRICE_PER_REQUEST) / submissions


_PHASE = re.compile(r"(\w+) (\d+) ms")
_JUDGED = re.compile(r"judged (\S+): \w+ in (\d+) ms: (.*); sandbox (\d+) ms in (\d+) calls")


def worker_phases(message: str) -> dict[str, int] | None:
    """Where a worker's time went for one submission, from its `judged ...` log line
    (pipeline/worker.py): each phase's ms, `sandbox` (its calls' ms) and `calls`; None for other lines."""
    found = _JUDGED.search(message)
    if not found:
        return None
    phases = {name: int(ms) for name, ms in _PHASE.findall(found.group(3))}
    return {"total": int(found.group(2)), **phases, "sandbox": int(found.group(4)), "calls": int(found.group(5))}


def phases_between(logs, function_name: str, since_ms: int, until_ms: int) -> list[dict[str, int]]:
    """Every submission's worker phases that function logged between the two times (epoch ms)."""
    out = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName=f"/aws/lambda/{function_name}", startTime=since_ms, endTime=until_ms,
                filterPattern="judged"):
            out += [phases for event in page["events"] if (phases := worker_phases(event["message"]))]
    except logs.exceptions.ResourceNotFoundException:
        pass
    return out
