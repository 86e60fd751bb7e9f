"""Interactive problems through the whole pipeline: the worker sends each test to the sandbox
function with the validator, the input and answer sealed; the sandbox function runs the validator
beside the submission in direct mode inside a Lambda-faithful execution environment (one uid, the
Runtime API on loopback). The verdicts are those `judge verify` gives, and a submission that looks
for the answer everywhere its uid may look (every process, every file, its own request read back
from the Runtime API) finds nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

from store.repositories import get_submission
from tests.e2e.conftest import REPO
from tests.pipeline.test_sandbox_interact import secret_keeper

LANGUAGE_OF = {".c": "c", ".cpp": "cpp", ".py": "python", ".java": "java"}

# Python, so it can also read the invocation back from the Runtime API, as a submission in Lambda can.
SEEKER = textwrap.dedent('''
    import os, sys, time, urllib.request
    ready = sys.stdin.readline()  # the validator is up, its input and answer open
    deadline = time.monotonic() + 3
    found, tried = None, {"processes": 0, "opened": 0, "files": 0, "runtime_api": 0}

    def search(data):
        global found
        at = data.find(b"SECRET-")
        if at >= 0 and found is None:
            found = data[at:at + 31].split()[0].decode(errors="replace")

    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        tried["processes"] += 1
        for name in ("environ", "cmdline"):
            try:
                search(open(f"/proc/{pid}/{name}", "rb").read())
            except OSError:
                pass
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    with open(f"/proc/{pid}/fd/{fd}", "rb", buffering=0) as handle:
                        tried["opened"] += 1
                        search(handle.read(1 << 20))
                except OSError:
                    pass
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
                for line in maps:
                    low, high = (int(x, 16) for x in line.split()[0].split("-"))
                    if line.split()[1].startswith("r") and high - low < (64 << 20):
                        try:
                            mem.seek(low)
                            search(mem.read(high - low))
                        except OSError:
                            pass
        except OSError:
            pass
    for root, dirs, files in os.walk("/tmp"):
        for name in files:
            if time.monotonic() > deadline:
                break
            try:
                search(open(os.path.join(root, name), "rb").read(1 << 22))
                tried["files"] += 1
            except OSError:
                pass
    try:
        with urllib.request.urlopen("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", timeout=3) as r:
            request = r.read()
        tried["runtime_api"] = len(request)
        search(request)
        import base64, json
        for test in json.loads(request).get("tests", []):
            search(test.get("secret", "").encode())
            try:
                search(base64.b64decode(test.get("secret", "")))
            except ValueError:
                pass
    except OSError:
        pass
    # One word, so the validator's message to the judge shows what was tried.
    print("|".join([found or "nothing", *(f"{k}={v}" for k, v in tried.items())]), flush=True)
''')


def test_interactive_problems_get_the_verdicts_judge_verify_gives(api, stack):
    """One submission per expected verdict and language of the example interactive problem."""
    from judge.engine import JudgeOptions, judge_submission
    from judge.languages import LANGUAGES
    from judge.problem import load_problem
    from judge.runner import LocalRunner

    folder = REPO / "problems" / "guess"
    chosen = ["accepted/binary.c", "accepted/binary.cpp", "accepted/binary.py", "accepted/Binary.java",
              "wrong_answer/reversed.cpp", "wrong_answer/linear.py", "run_time_error/crash_after_correct.py",
              "run_time_error/abort_after_correct.cpp", "time_limit_exceeded/spin_first.c",
              "time_limit_exceeded/no_flush.py"]
    ids = {name: api.submit_file("guess", LANGUAGE_OF[Path(name).suffix], f"problems/guess/submissions/{name}")
           for name in chosen}
    problem = load_problem(folder)
    for name in chosen:
        body = api.wait(ids[name])
        source = (folder / "submissions" / name).read_bytes()
        local = judge_submission(problem, LANGUAGES[LANGUAGE_OF[Path(name).suffix]], source, LocalRunner(), JudgeOptions())
        assert body["status"] == "JUDGED", (name, body)
        assert body["verdict"] == local.verdict.value, (name, body, local.reason)
        assert [t["verdict"] for t in body["tests"]] == [t.verdict.value for t in local.tests], name
        with stack.db.transaction() as cur:
            result = get_submission(cur, ids[name])["result_json"]
        assert result["judge"]["sandbox"] == "lambda/direct", result["judge"]  # one uid, as in Lambda


def test_a_submission_finds_no_answer_anywhere_its_uid_may_look(api, stack, tmp_path):
    from backend import admin
    from store.packages import PackageBucket

    package, answer, _ = secret_keeper(tmp_path, time_limit=5)
    admin.import_problem(stack.db, package, problem_id="secret-keeper",
                         packages=PackageBucket(stack.client("s3"), stack.outputs["submissions_bucket_name"]))
    response = api.submit("secret-keeper", "python", SEEKER)
    assert response.status_code == 202, response.text
    body = api.wait(response.json()["submission_id"])
    assert (body["status"], body["verdict"]) == ("JUDGED", "WRONG_ANSWER"), body
    [test] = body["tests"]
    assert f"expected {answer}" in test["feedback"]  # the judge's eyes see what the validator said
    tried = dict(part.split("=") for part in test["feedback"].split("got ", 1)[1].split()[0].split("|")[1:])
    # It saw other processes of its uid and read its own request back, and opened nothing of theirs.
    assert int(tried["processes"]) > 0 and int(tried["runtime_api"]) > 0 and tried["opened"] == "0", tried
    assert answer not in str({k: v for k, v in body.items() if k != "tests"})
    guessed = api.wait(api.submit("secret-keeper", "python", f"input()\nprint({answer!r})\n").json()["submission_id"])
    assert guessed["verdict"] == "ACCEPTED", guessed  # the validator does accept the answer it holds
