"""Every example problem package under problems/ verifies: `judge verify PKG --json` exits 0 and
every submission gets the verdict (and, for the scoring problem, the score) it claims.

Each package is verified by the real CLI in a subprocess, exactly as a problem setter would run it.
Besides the judge's own `matched` flag, the test checks the package actually exercises what it is
meant to prove (which verdicts in which languages), so a package cannot silently lose coverage.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ROOT / "problems"
JUDGE = Path(sys.executable).with_name("judge")  # .venv/bin/judge next to .venv/bin/python
if not JUDGE.exists():
    JUDGE = ROOT / ".venv" / "bin" / "judge"

LANGUAGES = {".py": "python", ".c": "c", ".cpp": "cpp", ".java": "java"}
ALL = {"python", "c", "cpp", "java"}

# package -> expected verdict (as the judge names it) -> languages that must have a submission there
COVERAGE: dict[str, dict[str, set[str]]] = {
    "aplusb": {
        "ACCEPTED": ALL,
        "WRONG_ANSWER": ALL,
        "TIME_LIMIT_EXCEEDED": ALL,
        "RUNTIME_ERROR": ALL,
        "MEMORY_LIMIT_EXCEEDED": ALL,
        "OUTPUT_LIMIT_EXCEEDED": ALL,
        "COMPILATION_ERROR": ALL,
    },
    "floatsum": {"ACCEPTED": ALL, "WRONG_ANSWER": ALL},
    "custom-checker": {"ACCEPTED": ALL, "WRONG_ANSWER": ALL},
    "guess": {
        "ACCEPTED": ALL,
        "WRONG_ANSWER": ALL,
        "TIME_LIMIT_EXCEEDED": ALL,
        "RUNTIME_ERROR": ALL,
    },
    "groups": {"ACCEPTED": ALL, "WRONG_ANSWER": {"python", "cpp"}},
}

# Scores the scoring package must produce, by submission folder.
GROUP_SCORES = {"accepted": 100.0, "partially_accepted": 50.0, "wrong_answer": 0.0}

VERIFY_TIMEOUT_S = 280  # below pytest-timeout's 300 s, so a hang fails here with the output


def verify(package: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    proc = subprocess.run(
        [str(JUDGE), "verify", str(PROBLEMS / package), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=VERIFY_TIMEOUT_S, check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = None
    return proc, report


def describe(report: dict) -> str:
    lines = []
    for sub in report.get("submissions", []):
        mark = "ok " if sub["matched"] else "BAD"
        lines.append(f"{mark} {sub['submission']}: {sub['verdict']} score={sub.get('score')} "
                     f"expected={sub['expected']} {sub.get('message', '')}")
    return "\n".join(lines)


def submission_files(package: str) -> set[str]:
    root = PROBLEMS / package / "submissions"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix in LANGUAGES}


def test_every_package_is_covered():
    """A new package under problems/ must be added here (and so verified by `make test`)."""
    packages = {p.name for p in PROBLEMS.iterdir() if (p / "problem.yaml").is_file()}
    assert packages == set(COVERAGE)


GENERATED = (".in", ".ans", ".interaction")


@pytest.mark.parametrize("package", sorted(COVERAGE))
def test_generator_reproduces_committed_data(package: str, tmp_path: Path):
    """generators/gen.py is deterministic and the committed data/ is exactly what it writes."""
    shutil.copytree(PROBLEMS / package / "generators", tmp_path / "generators")
    subprocess.run([sys.executable, str(tmp_path / "generators" / "gen.py")], check=True, timeout=120)
    committed = PROBLEMS / package / "data"

    def generated_files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.suffix in GENERATED}

    names = generated_files(committed)
    assert names == generated_files(tmp_path / "data")
    differing = [n for n in sorted(names) if not filecmp.cmp(committed / n, tmp_path / "data" / n, shallow=False)]
    assert not differing, f"{package}: committed data differs from generators/gen.py output: {differing}"


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(COVERAGE))
def test_package_verifies(package: str):
    proc, report = verify(package)
    assert report is not None, (
        f"judge verify {package} --json printed no JSON (exit {proc.returncode})\n"
        f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")
    detail = describe(report)
    assert proc.returncode == 0, f"judge verify {package} exited {proc.returncode}\n{detail}\n{proc.stderr[-2000:]}"
    assert report["ok"] is True, detail

    subs = report["submissions"]
    mismatched = [s["submission"] for s in subs if not s["matched"]]
    assert not mismatched, detail

    # Every submission file was judged (none skipped as an unknown language, none listed twice).
    judged = [s["submission"] for s in subs]
    assert len(judged) == len(set(judged)), detail
    assert set(judged) == submission_files(package), detail

    # The package proves what it claims: each verdict is reached in each required language.
    reached: dict[str, set[str]] = defaultdict(set)
    for sub in subs:
        if sub["verdict"] in sub["expected"]:
            reached[sub["verdict"]].add(LANGUAGES[Path(sub["submission"]).suffix])
    for verdict, languages in COVERAGE[package].items():
        missing = languages - reached[verdict]
        assert not missing, f"{package}: no {verdict} submission in {sorted(missing)}\n{detail}"

    if package == "groups":
        for sub in subs:
            folder = sub["submission"].split("/")[0]
            assert sub["score"] == pytest.approx(GROUP_SCORES[folder]), detail
