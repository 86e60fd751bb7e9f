"""End to end: a setter changes a problem's data in the running stack (judge-admin import-problem
again), rejudges it through the API with an admin token, and a verdict flips; the first one stays
as the submission's history."""

from __future__ import annotations

import shutil

import pytest

from backend.admin_cli import main as admin_main
from backend.client import ApiError, JudgeClient
from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

# Right while the sums fit 32 bits, as a C int would be.
WRAPS_AT_32_BITS = "a, b = map(int, input().split())\nprint((a + b + 2**31) % 2**32 - 2**31)\n"


def test_a_rejudge_after_a_data_change_flips_a_verdict_and_keeps_the_first(stack, monkeypatch, capsys, tmp_path):
    for name in [*stack.backend_env(), "DB_SECRET_ARN"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUDGE_STACK_SETTINGS", str(stack.settings_path))
    assert admin_main(["create-user", "setter-dana", "--admin"]) == 0
    setter = JudgeClient(stack.api_url, capsys.readouterr().out.strip())
    small = tmp_path / "aplusb-small"
    shutil.copytree(REPO / "problems" / "aplusb", small)
    for big in sorted((small / "data" / "secret").glob("0[4-8]-*")):
        big.unlink()
    assert admin_main(["import-problem", str(small), "--id", "dana-aplusb"]) == 0

    first = setter.wait(setter.submit("dana-aplusb", "python", WRAPS_AT_32_BITS).submission_id, timeout_s=240)
    assert (first.status, first.verdict) == ("JUDGED", "ACCEPTED"), first

    assert admin_main(["import-problem", str(REPO / "problems" / "aplusb"), "--id", "dana-aplusb"]) == 0
    with pytest.raises(ApiError) as not_admin:
        JudgeClient(stack.api_url, stack.demo_token).rejudge("dana-aplusb")
    assert (not_admin.value.status, not_admin.value.code) == (403, "forbidden")
    assert setter.rejudge("dana-aplusb", ["ACCEPTED"]) == [first.submission_id]

    again = setter.wait(first.submission_id, timeout_s=240)
    assert (again.status, again.verdict) == ("JUDGED", "WRONG_ANSWER"), again
    assert [t["name"] for t in again.tests][-1] == "secret/04-int32-overflow"
    [earlier] = again.history
    assert (earlier["status"], earlier["verdict"], earlier["attempt"]) == ("JUDGED", "ACCEPTED", 1)
