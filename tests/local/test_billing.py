"""Reading what the functions bill from their REPORT lines, and pricing it."""

import pytest

from local.billing import Usage, billed, difference, dollars_per_thousand, report_fields

COLD = ("REPORT RequestId: 1\tDuration: 812.20 ms\tBilled Duration: 813 ms\tMemory Size: 2048 MB\t"
        "Max Memory Used: 190 MB\tInit Duration: 402.10 ms\t")
WARM = "REPORT RequestId: 2\tDuration: 99.50 ms\tBilled Duration: 100 ms\tMemory Size: 2048 MB\tMax Memory Used: 180 MB\t"


class Logs:
    """filter_log_events pages as CloudWatch Logs gives them (and a REPORT line delivered twice)."""

    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, groups):
        self.groups = groups

    def get_paginator(self, name):
        assert name == "filter_log_events"
        return self

    def paginate(self, logGroupName):
        if logGroupName not in self.groups:
            raise self.exceptions.ResourceNotFoundException(logGroupName)
        return [{"events": [{"message": m} for m in self.groups[logGroupName]]}]


def test_report_lines_become_gb_seconds_invocations_and_cold_starts():
    assert report_fields("START RequestId: 1 Version: $LATEST") is None
    assert report_fields(WARM)["Billed Duration"] == "100 ms"
    logs = Logs({"/aws/lambda/sbx": ["START RequestId: 1", COLD, WARM, WARM]})
    usage = billed(logs, {"sandbox_cpp": "sbx", "worker_cpp": "missing"})
    sandbox = usage["sandbox_cpp"]
    assert (sandbox.invocations, sandbox.cold_starts, sandbox.max_memory_mb) == (2, 1, 190)
    assert sandbox.gb_seconds == pytest.approx((0.813 + 0.1) * 2)
    assert usage["worker_cpp"].invocations == 0


def test_a_submission_costs_its_gb_seconds_and_requests_at_list_price():
    before = {"w": Usage(invocations=1, gb_seconds=1.0)}
    after = {"w": Usage(invocations=3, gb_seconds=1.6), "s": Usage(invocations=2, gb_seconds=0.4)}
    used = difference(after, before)
    assert used["w"].invocations == 2 and used["w"].gb_seconds == pytest.approx(0.6)
    # 1.0 GB-s and 4 requests for two submissions: half of it each.
    assert dollars_per_thousand(used, "x86_64", 2) == pytest.approx(1000 * (1.0 * 0.0000166667 + 4 * 0.2e-6) / 2)
    assert dollars_per_thousand(used, "arm64", 2) < dollars_per_thousand(used, "x86_64", 2)



def test_a_workers_judged_line_says_where_its_time_went():
    from local.billing import worker_phases

    line = ("INFO pipeline.worker judged 0b9c: ACCEPTED in 612 ms: judging_message 25 ms, source_and_package 61 ms, "
            "judging 480 ms, result_message 46 ms; sandbox 390 ms in 2 calls")
    assert worker_phases(line) == {"total": 612, "judging_message": 25, "source_and_package": 61, "judging": 480,
                                   "result_message": 46, "sandbox": 390, "calls": 2}
    assert worker_phases("INFO pipeline.worker failing 0b9c: no such problem") is None
