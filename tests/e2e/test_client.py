"""End to end through the typed client (backend/client.py) and judge-admin, against the whole local
stack: a submission judged, the compiler version the sandbox function's layer reported, the problems
with their samples, and a problem a setter imports into the running stack with nothing configured."""

from __future__ import annotations

import pytest

from backend.admin_cli import main as admin_main
from backend.client import JudgeClient
from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(stack) -> JudgeClient:
    return JudgeClient(stack.api_url, stack.demo_token)


def test_a_submission_through_the_client_and_the_version_its_compiler_reported(client):
    accepted = client.submit("aplusb", "cpp", (REPO / "problems/aplusb/submissions/accepted/sum.cpp").read_text())
    judged = client.wait(accepted.submission_id, timeout_s=240)
    assert (judged.status, judged.verdict) == ("JUDGED", "ACCEPTED"), judged
    cpp = next(language for language in client.languages() if language.name == "cpp")
    # The GCC layer's own driver as the sandbox function ran it (layers/build.sh wraps Debian's
    # x86_64-linux-gnu-g++-12; the host's g++ on PATH would call itself "g++ (Debian ...)").
    assert cpp.compiler_version.startswith("x86_64-linux-gnu-g++-12 (") and " 12." in cpp.compiler_version, cpp
    assert cpp.version_reported_at


def test_problems_and_their_samples_through_the_client(client):
    listed = {problem.problem_id: problem for problem in client.problems()}
    assert {"aplusb", "floatsum", "custom-checker"} <= set(listed)
    sample = REPO / "problems" / "aplusb" / "data" / "sample"
    [first] = client.problem("aplusb").samples
    assert (first.input, first.output) == ((sample / "1.in").read_text(), (sample / "1.ans").read_text())


def test_judge_admin_imports_into_the_running_stack_with_nothing_set(stack, monkeypatch, capsys):
    for name in [*stack.backend_env(), "DB_SECRET_ARN"]:
        # Set, then deleted: at teardown monkeypatch removes what judge-admin fills in from the file
        # (AWS_ENDPOINT_URL would otherwise reach every later test's AWS clients).
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("JUDGE_STACK_SETTINGS", str(stack.settings_path))
    assert admin_main(["create-user", "setter-carol"]) == 0
    token = capsys.readouterr().out.strip()
    assert admin_main(["import-problem", str(REPO / "problems" / "aplusb"), "--id", "carols-aplusb",
                       "--restricted"]) == 0
    assert '"uploaded"' in capsys.readouterr().out  # into the stack's bucket, where its workers read
    carol = JudgeClient(stack.api_url, token)
    assert next(p for p in carol.problems() if p.problem_id == "carols-aplusb").may_submit is False
    assert admin_main(["grant", "setter-carol", "carols-aplusb"]) == 0
    source = (REPO / "problems/aplusb/submissions/accepted/sum.py").read_text()
    judged = carol.wait(carol.submit("carols-aplusb", "python", source).submission_id, timeout_s=240)
    assert (judged.status, judged.verdict) == ("JUDGED", "ACCEPTED"), judged
