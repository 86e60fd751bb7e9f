"""End to end: a setter uploads a restricted problem's package through the API (typed client), grants
a user, who submits and is judged on it; a user without the grant is refused; a changed version of the
package, uploaded again, is what the next submission is judged on."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
from pathlib import Path

import pytest

from backend.admin_cli import main as admin_main
from backend.client import ApiError, JudgeClient
from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

# Right while the sums fit 32 bits, as a C int would be: aplusb's 04-int32-overflow tells.
WRAPS_AT_32_BITS = "a, b = map(int, input().split())\nprint((a + b + 2**31) % 2**32 - 2**31)\n"


def tar_gz(root: Path, top: str) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        archive.add(root, top)
    return gzip.compress(raw.getvalue())


def token_of(capsys, *args: str) -> str:
    assert admin_main(["create-user", *args]) == 0
    return capsys.readouterr().out.strip()


def test_an_uploaded_package_is_judged_for_granted_users_and_a_new_version_with_its_new_data(
        stack, monkeypatch, capsys, tmp_path):
    for name in [*stack.backend_env(), "DB_SECRET_ARN"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUDGE_STACK_SETTINGS", str(stack.settings_path))
    setter = JudgeClient(stack.api_url, token_of(capsys, "setter-erin", "--admin"))
    solver = JudgeClient(stack.api_url, token_of(capsys, "solver-finn"))
    stranger = JudgeClient(stack.api_url, stack.demo_token)

    small = tmp_path / "small"
    shutil.copytree(REPO / "problems" / "aplusb", small)
    for big in sorted((small / "data" / "secret").glob("0[4-8]-*")):
        big.unlink()
    first = setter.upload_problem(tar_gz(small, "erin-aplusb"), restricted=True)
    assert (first.problem_id, first.created, first.restricted) == ("erin-aplusb", True, True)

    with pytest.raises(ApiError) as not_granted:
        solver.submit("erin-aplusb", "python", WRAPS_AT_32_BITS)
    assert (not_granted.value.status, not_granted.value.code) == (403, "forbidden")
    assert setter.grant("erin-aplusb", "solver-finn").user_name == "solver-finn"
    assert [g.user_name for g in setter.grants("erin-aplusb")] == ["solver-finn"]

    judged = solver.wait(solver.submit("erin-aplusb", "python", WRAPS_AT_32_BITS).submission_id, timeout_s=240)
    assert (judged.status, judged.verdict) == ("JUDGED", "ACCEPTED"), judged
    assert [t["name"] for t in judged.tests][-1] == "secret/03-zeros"
    with pytest.raises(ApiError) as stranger_refused:
        stranger.submit("erin-aplusb", "python", WRAPS_AT_32_BITS)
    assert (stranger_refused.value.status, stranger_refused.value.code) == (403, "forbidden")

    full = setter.upload_problem(tar_gz(REPO / "problems" / "aplusb", "erin-aplusb"))
    assert (full.created, full.changed, full.restricted) == (False, True, True)
    assert full.package_sha256 != first.package_sha256
    again = solver.wait(solver.submit("erin-aplusb", "python", WRAPS_AT_32_BITS).submission_id, timeout_s=240)
    assert (again.status, again.verdict) == ("JUDGED", "WRONG_ANSWER"), again
    assert [t["name"] for t in again.tests][-1] == "secret/04-int32-overflow"

    assert setter.revoke("erin-aplusb", "solver-finn") is True
    with pytest.raises(ApiError) as revoked:
        solver.submit("erin-aplusb", "python", WRAPS_AT_32_BITS)
    assert revoked.value.code == "forbidden"
