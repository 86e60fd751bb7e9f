"""`make bench`: what the sandbox costs, measured in one run and printed as ratios.

1. Per-run overhead against a bare subprocess of the same program (bench/sandbox_overhead.py: 200
   runs each of a trivial C++ and a trivial Python program).
2. A 200-test Python problem judged end to end by the engine (compile, run each test in the
   sandbox, check with the default validator) against a bare loop that runs the same program on
   the same inputs with subprocess and compares outputs byte for byte. Target: judge/bare <= 1.15.
3. Compile time per language, in the sandbox and bare.

Not a test: nothing here fails a build; it prints numbers to quote.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from judge.engine import JudgeOptions, judge_submission  # noqa: E402
from judge.languages import BINARY_NAME, LANGUAGES  # noqa: E402
from judge.problem import load_problem  # noqa: E402
from judge.runner import LocalRunner  # noqa: E402
from judge.toolchain import expand, tool_path_env  # noqa: E402
from judge.verdict import Verdict  # noqa: E402

SOLUTION = "import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)\n"


def make_problem(root: Path, tests: int) -> Path:
    (root / "data" / "secret").mkdir(parents=True)
    (root / "data" / "sample").mkdir(parents=True)
    (root / "problem.yaml").write_text("name: Bench A+B\nlimits:\n  memory: 256\n")
    (root / ".timelimit").write_text("2\n")
    for i in range(tests):
        folder = "sample" if i == 0 else "secret"
        (root / "data" / folder / f"{i:03d}.in").write_text(f"{i} {i * 7}\n")
        (root / "data" / folder / f"{i:03d}.ans").write_text(f"{i * 8}\n")
    return root


def bare_loop(problem_dir: Path) -> float:
    python = expand(("<python>",))[0]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "Main.py"
        source.write_text(SOLUTION)
        started = time.perf_counter()
        for test in sorted(problem_dir.glob("data/*/*.in")):
            with open(test, "rb") as stdin:
                done = subprocess.run([python, "-I", "-S", "-B", str(source)], stdin=stdin, capture_output=True,
                                      cwd=tmp, env={"PATH": "/usr/bin:/bin"})
            if done.stdout.split() != test.with_suffix(".ans").read_bytes().split():
                raise SystemExit(f"bare run gave a wrong answer on {test.name}")
        return time.perf_counter() - started


def judged(problem_dir: Path) -> tuple[float, int]:
    problem = load_problem(problem_dir)
    started = time.perf_counter()
    result = judge_submission(problem, LANGUAGES["python"], SOLUTION.encode(), LocalRunner(), JudgeOptions())
    elapsed = time.perf_counter() - started
    if result.verdict != Verdict.ACCEPTED:
        raise SystemExit(f"benchmark solution was not accepted: {result.verdict} {result.reason}")
    return elapsed, len(result.tests)


def compile_times(rounds: int) -> list[dict]:
    runner, rows = LocalRunner(), []
    for language in LANGUAGES.values():
        if language.compile is None:
            continue
        sandboxed, bare = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            compiled = runner.compile(language, language.self_test.encode())
            sandboxed.append(time.perf_counter() - started)
            assert compiled.ok, compiled.output
            with tempfile.TemporaryDirectory() as tmp:
                name = language.source_file_name(language.self_test)
                (Path(tmp) / name).write_text(language.self_test)
                argv = expand(language.compile, source=name, binary=BINARY_NAME, main_class="")
                started = time.perf_counter()
                subprocess.run(argv, cwd=tmp, check=True, capture_output=True,
                               env={"PATH": tool_path_env(language.tools), "HOME": tmp})
                bare.append(time.perf_counter() - started)
        rows.append({"language": language.name, "sandbox_ms": round(statistics.median(sandboxed) * 1000),
                     "bare_ms": round(statistics.median(bare) * 1000),
                     "ratio": round(statistics.median(sandboxed) / statistics.median(bare), 2)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    print("== 1. per-run sandbox overhead (bench/sandbox_overhead.py)", flush=True)
    subprocess.run([sys.executable, str(REPO / "bench" / "sandbox_overhead.py"), "--runs", str(args.tests),
                    "--modes", "auto,direct"], check=True)

    print(f"\n== 2. a {args.tests}-test Python problem: engine vs bare loop ({args.rounds} alternating rounds, medians)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        problem_dir = make_problem(Path(tmp) / "bench-aplusb", args.tests)
        bare_s, judge_s = [], []
        for _ in range(args.rounds):  # alternate, so background load hits both alike
            bare_s.append(bare_loop(problem_dir))
            elapsed, ran = judged(problem_dir)
            judge_s.append(elapsed)
    bare, judge = statistics.median(bare_s), statistics.median(judge_s)
    problem_row = {"tests": ran, "bare_s": round(bare, 3), "judge_s": round(judge, 3),
                   "ratio": round(judge / bare, 3), "overhead_ms_per_test": round((judge - bare) / ran * 1000, 2)}
    print(f"bare {bare:.2f} s   judge {judge:.2f} s   judge/bare {judge / bare:.3f} (target <= 1.15)   "
          f"overhead {(judge - bare) / ran * 1000:.2f} ms/test")

    print("\n== 3. compile time per language (median of rounds)", flush=True)
    rows = compile_times(args.rounds)
    for row in rows:
        print(f"{row['language']:<8} sandbox {row['sandbox_ms']:>6} ms   bare {row['bare_ms']:>6} ms   "
              f"ratio {row['ratio']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"problem": problem_row, "compile": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
