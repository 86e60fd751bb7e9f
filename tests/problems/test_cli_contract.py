"""`judge run --json` is a contract our own checks use: its keys and their meaning."""

import json
import subprocess
import sys
from pathlib import Path

JUDGE = Path(sys.executable).with_name("judge")
APLUSB = Path(__file__).resolve().parents[2] / "problems" / "aplusb"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(JUDGE), "run", *args], capture_output=True, text=True, timeout=180)


def test_json_result_has_the_contract_keys_and_validates():
    from contracts.result import validate_result_json

    done = run(str(APLUSB), str(APLUSB / "submissions/accepted/sum.c"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    validate_result_json(result)
    assert result["verdict"] == "ACCEPTED" and result["score"] is None and result["compile_output"] == ""
    assert {"verdict", "score", "time_ms", "memory_kb", "compile_output", "tests"} <= result.keys()
    assert len(result["tests"]) == len(list(APLUSB.glob("data/*/*.in")))
    for test in result["tests"]:
        assert {"name", "verdict", "time_ms", "memory_kb"} <= test.keys() and test["memory_kb"] > 0


def test_first_failure_stops_unless_all_tests_are_asked_for():
    wrong = str(APLUSB / "submissions/wrong_answer/off_by_one.py")
    first = json.loads(run(str(APLUSB), wrong, "--json").stdout)
    every = json.loads(run(str(APLUSB), wrong, "--json", "--all-tests").stdout)
    assert first["verdict"] == every["verdict"] == "WRONG_ANSWER"
    assert len(first["tests"]) == 1 and first["tests"][0]["feedback"]
    assert len(every["tests"]) == len(list(APLUSB.glob("data/*/*.in")))


def test_language_override_and_time_limit_override():
    source = APLUSB / "submissions/accepted/sum.py"
    done = run(str(APLUSB), str(source), "--language", "python", "--time-limit", "2", "--json")
    assert json.loads(done.stdout)["time_limit_ms"] == 2000
    assert run(str(APLUSB), str(source), "--language", "cobol").returncode == 2
    assert run(str(APLUSB), str(source), "--time-limit", "-1").returncode == 2
