"""`make bench-e2e`: what a submission costs and how long it waits, through the whole local stack.

The stack is `make run`'s (LocalStack with the Lambda-faithful executor: each function's memory
enforced and its CPU capped at its memory's share, one vCPU per 1,769 MB, as in Lambda even on an
idle machine; MariaDB; the API). For each
language, A+B submitted one at a time: the first one meets cold functions, the next `--warm` warm
ones, each a source never seen before (a comment with a fresh id: the worker's compile cache must not
answer for it), then `--warm` resubmissions of one source (what a rejudge or a resubmission costs:
the compile cache answers). Then a burst of `--burst` at once. For each: submit-to-verdict seconds (p50/p95), billed
GB-seconds per submission per function from the functions' REPORT lines (local/billing.py), and
dollars per 1,000 submissions at Lambda's list prices for x86_64 and arm64 (requests included).

Not a test: nothing here fails a build; it prints numbers to quote (terraform/README.md quotes them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from local.billing import Usage, billed, difference, dollars_per_thousand, phases_between  # noqa: E402
from local.devstack import DevStack  # noqa: E402
from local.stack import free_port  # noqa: E402
from tests.e2e.conftest import Api  # noqa: E402

SOURCES = {"python": "sum.py", "cpp": "sum.cpp", "c": "sum.c", "java": "sum_java.java"}
WORKER_OF = {"python": "python", "cpp": "cpp", "c": "cpp", "java": "java"}  # terraform/workers.json
POLL_S = 0.02  # how often a submission's state is read: a latency measured to about this
SETTLE_S = 20.0  # REPORT lines reach the log groups a little after the invocation ends


def _source(language: str) -> str:
    return f"problems/aplusb/submissions/accepted/{SOURCES[language]}"


def _settled_usage(stack: DevStack) -> dict[str, Usage]:
    """The usage so far, read again until two readings a second apart agree (logs arrive late)."""
    deadline, last = time.monotonic() + SETTLE_S, None
    while True:
        now = billed(stack.client("logs"), stack.outputs["function_names"])
        counts = {role: usage.invocations for role, usage in now.items()}
        if counts == last or time.monotonic() > deadline:
            return now
        last = counts
        time.sleep(1.0)


def fresh_source(language: str) -> str:
    """The A+B solution with a comment no earlier submission had, so it is compiled, not cached."""
    comment = "#" if language == "python" else "//"
    return f"{comment} bench {uuid.uuid4()}\n" + (REPO / _source(language)).read_text()


def _one(api: Api, language: str, source: str) -> float:
    started = time.monotonic()
    response = api.submit("aplusb", language, source)
    if response.status_code != 202:
        raise SystemExit(f"{language} A+B was refused: {response.status_code} {response.text}")
    body = api.wait(response.json()["submission_id"], interval=POLL_S)
    if body.get("verdict") != "ACCEPTED":
        raise SystemExit(f"{language} A+B was not accepted: {body}")
    return time.monotonic() - started


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def _costs(usage: dict[str, Usage], submissions: int) -> dict:
    active = {role: u for role, u in usage.items() if u.invocations}
    return {
        "gb_seconds_per_submission": round(sum(u.gb_seconds for u in active.values()) / submissions, 3),
        "invocations_per_submission": round(sum(u.invocations for u in active.values()) / submissions, 2),
        "per_function": {role: {**u.to_json(), "gb_seconds": round(u.gb_seconds / submissions, 3),
                                "invocations": round(u.invocations / submissions, 2)} for role, u in active.items()},
        "usd_per_1000_x86_64": round(dollars_per_thousand(active, "x86_64", submissions), 4),
        "usd_per_1000_arm64": round(dollars_per_thousand(active, "arm64", submissions), 4),
    }


def _median_phases(stack: DevStack, language: str, since_ms: int, until_ms: int) -> dict[str, int]:
    """The median of each worker phase (pipeline/worker.py's `judged` lines) over that time."""
    worker = stack.outputs["function_names"][f"worker_{WORKER_OF[language]}"]
    lines = phases_between(stack.client("logs"), worker, since_ms, until_ms)
    names = sorted({name for p in lines for name in p})
    return {name: round(statistics.median(p.get(name, 0) for p in lines)) for name in names} if lines else {}


def _now_ms() -> int:
    return int(time.time() * 1000)


def measure_language(stack: DevStack, api: Api, language: str, warm: int) -> dict:
    before = _settled_usage(stack)
    cold_s = _one(api, language, fresh_source(language))
    after_cold = _settled_usage(stack)
    warm_since = _now_ms()
    latencies = [_one(api, language, fresh_source(language)) for _ in range(warm)]
    warm_until = _now_ms()
    after_warm = _settled_usage(stack)
    again = fresh_source(language)
    _one(api, language, again)  # compiled once; the resubmissions below find it in the compile cache
    before_again = _settled_usage(stack)
    again_latencies = [_one(api, language, again) for _ in range(warm)]
    after_again = _settled_usage(stack)
    return {"language": language, "cold_s": round(cold_s, 2),
            "cold": _costs(difference(after_cold, before), 1),
            "warm_p50_s": round(statistics.median(latencies), 2), "warm_p95_s": round(_percentile(latencies, 0.95), 2),
            "warm": _costs(difference(after_warm, after_cold), warm),
            "warm_worker_phases_ms": _median_phases(stack, language, warm_since, warm_until),
            "resubmitted_p50_s": round(statistics.median(again_latencies), 2),
            "resubmitted": _costs(difference(after_again, before_again), warm)}


def measure_burst(stack: DevStack, api: Api, count: int) -> dict:
    languages = list(SOURCES)
    before = _settled_usage(stack)
    started: dict[str, float] = {}

    def submit(index: int) -> str:
        language = languages[index % len(languages)]
        t0 = time.monotonic()
        response = api.submit("aplusb", language, fresh_source(language))
        if response.status_code != 202:
            raise SystemExit(f"burst submission refused: {response.status_code} {response.text}")
        submission_id = response.json()["submission_id"]
        started[submission_id] = t0
        return submission_id

    with ThreadPoolExecutor(max_workers=25) as pool:
        ids = list(pool.map(submit, range(count)))
    done: dict[str, float] = {}
    pending, deadline = set(ids), time.monotonic() + 600
    while pending and time.monotonic() < deadline:
        for submission_id in list(pending):
            body = api.get(submission_id)
            if body["status"] in ("JUDGED", "FAILED"):
                if body["status"] != "JUDGED":
                    raise SystemExit(f"burst submission not judged: {body}")
                done[submission_id] = time.monotonic() - started[submission_id]
                pending.discard(submission_id)
        time.sleep(0.2)
    if pending:
        raise SystemExit(f"{len(pending)} burst submissions not judged in 600 s")
    values = list(done.values())
    return {"submissions": count, "p50_s": round(statistics.median(values), 2),
            "p95_s": round(_percentile(values, 0.95), 2), "max_s": round(max(values), 2),
            **_costs(difference(_settled_usage(stack), before), count)}


def _print(report: dict) -> None:
    print(f"{'language':<8} {'cold s':>7} {'warm p50':>9} {'warm p95':>9} {'GB-s/sub':>9} {'$/1000 x86':>11} "
          f"{'$/1000 arm':>11}  per function (warm GB-s / max MB used of size)")
    for row in report["languages"]:
        warm = row["warm"]
        functions = ", ".join(f"{role} {f['gb_seconds']:.3f} ({f['max_memory_used_mb']}/{f['memory_size_mb']} MB)"
                              for role, f in sorted(warm["per_function"].items()))
        print(f"{row['language']:<8} {row['cold_s']:>7.2f} {row['warm_p50_s']:>9.2f} {row['warm_p95_s']:>9.2f} "
              f"{warm['gb_seconds_per_submission']:>9.3f} {warm['usd_per_1000_x86_64']:>11.4f} "
              f"{warm['usd_per_1000_arm64']:>11.4f}  {functions}")
        again = row["resubmitted"]
        print(f"{'  again':<8} {'':>7} {row['resubmitted_p50_s']:>9.2f} {'':>9} {again['gb_seconds_per_submission']:>9.3f} "
              f"{again['usd_per_1000_x86_64']:>11.4f} {again['usd_per_1000_arm64']:>11.4f}  (the same source resubmitted: "
              "its compile from the worker's cache)")
        phases = row.get("warm_worker_phases_ms") or {}
        if phases:
            print(f"{'':<8} worker, warm medians: " + ", ".join(
                f"{k} {v}" + ("" if k == "calls" else " ms") for k, v in phases.items()))
    burst = report["burst"]
    print(f"burst of {burst['submissions']}: p50 {burst['p50_s']} s, p95 {burst['p95_s']} s, max {burst['max_s']} s, "
          f"{burst['gb_seconds_per_submission']} GB-s per submission, ${burst['usd_per_1000_x86_64']} per 1,000 (x86)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm", type=int, default=8, help="warm submissions per language, one at a time")
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--languages", default=",".join(SOURCES))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--cpu", choices=("cap", "shares"), default="cap",
                        help="cap: each environment's CPU capped at its memory's share, as in Lambda (default); "
                             "shares: only weighted, as in the tests")
    args = parser.parse_args()
    os.environ["LOCAL_LAMBDA_CPU"] = args.cpu  # the executor in LocalStack reads it per environment
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as state:
        stack = DevStack(Path(state), api_port=free_port(), name_prefix="bench",
                         problems=[REPO / "problems" / "aplusb"])
        print("bringing the local stack up ...", flush=True)
        stack.start()
        try:
            api = Api(stack.api_url, stack.demo_token)
            report = {"languages": [], "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
            for language in args.languages.split(","):
                print(f"{language}: one cold, {args.warm} warm, {args.warm} resubmitted ...", flush=True)
                report["languages"].append(measure_language(stack, api, language, args.warm))
            print(f"burst of {args.burst} ...", flush=True)
            report["burst"] = measure_burst(stack, api, args.burst)
        finally:
            stack.stop()
    _print(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
