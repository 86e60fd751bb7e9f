"""`judge verify` on a package with no time limit derives one from its accepted submissions."""

import json
import subprocess
import sys
from pathlib import Path

JUDGE = Path(sys.executable).with_name("judge")


def test_time_limit_is_derived_from_accepted_submissions(tmp_path):
    (tmp_path / "data" / "secret").mkdir(parents=True)
    (tmp_path / "problem.yaml").write_text("name: Echo\n")
    (tmp_path / "data" / "secret" / "1.in").write_text("7\n")
    (tmp_path / "data" / "secret" / "1.ans").write_text("7\n")
    (tmp_path / "submissions" / "accepted").mkdir(parents=True)
    (tmp_path / "submissions" / "accepted" / "echo.py").write_text("print(input())\n")
    (tmp_path / "submissions" / "time_limit_exceeded").mkdir(parents=True)
    (tmp_path / "submissions" / "time_limit_exceeded" / "sleep.py").write_text("import time\ntime.sleep(30)\n")
    done = subprocess.run([str(JUDGE), "verify", str(tmp_path), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["time_limit_source"] == "derived from accepted submissions"
    assert report["time_limit_s"] == 1.0
    assert [s["verdict"] for s in report["submissions"]] == ["ACCEPTED", "TIME_LIMIT_EXCEEDED"]


def test_mismatch_exits_non_zero_with_a_reason(tmp_path):
    (tmp_path / "data" / "secret").mkdir(parents=True)
    (tmp_path / "problem.yaml").write_text("name: Echo\n")
    (tmp_path / ".timelimit").write_text("1\n")
    (tmp_path / "data" / "secret" / "1.in").write_text("7\n")
    (tmp_path / "data" / "secret" / "1.ans").write_text("7\n")
    (tmp_path / "submissions" / "accepted").mkdir(parents=True)
    (tmp_path / "submissions" / "accepted" / "wrong.py").write_text("print(8)\n")
    done = subprocess.run([str(JUDGE), "verify", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "expected ACCEPTED, got WRONG_ANSWER" in done.stdout and "MISMATCH" in done.stdout


def test_bad_package_is_a_clear_cli_error(tmp_path):
    done = subprocess.run([str(JUDGE), "run", str(tmp_path / "missing"), __file__], capture_output=True, text=True)
    assert done.returncode == 2 and "judge:" in done.stderr
