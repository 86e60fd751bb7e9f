"""Per-run sandbox overhead against a bare subprocess run of the same program.

    .venv/bin/python bench/sandbox_overhead.py [--runs 200] [--modes auto,direct]

For trivial C++ and Python programs (read a line, print it) it times N bare runs
(subprocess.run, stdin from a file, stdout/stderr captured) and N judge.sandbox.run() runs, and
prints ms/run, the overhead in ms and the ratio. Each mode runs in its own interpreter because
the mode is fixed per process (JUDGE_SANDBOX_MODE).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CPP = "#include <cstdio>\nint main(){char b[64]; if(std::fgets(b,64,stdin)) std::fputs(b,stdout);}\n"
PY = "import sys\nsys.stdout.write(sys.stdin.readline())\n"


def reachable_python() -> tuple[str, tuple[Path, ...]]:
    """This interpreter, unless a sandbox uid cannot reach it without a mount namespace (pyenv
    under /root, direct mode as root): then the system one."""
    from judge.sandbox.isolation import current

    python = os.path.realpath(sys.executable)
    iso = current()
    if iso.separate_uid and iso.mode != "bwrap":
        parts = Path(python).parents
        if any(p.stat().st_mode & 0o001 == 0 for p in parts if str(p) != "/"):
            python = shutil.which("python3", path="/usr/bin:/bin") or python
    return python, (Path(sys.base_prefix).resolve(),)


def measure(runs: int) -> dict:
    from judge.sandbox import Limits, RunSpec, fresh_workdir, isolation_mode, run

    results = {"mode": isolation_mode()}
    python, python_ro = reachable_python()
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    with fresh_workdir() as wd:
        (wd / "main.cpp").write_text(CPP)
        subprocess.run(["g++", "-O2", "-o", str(wd / "main"), str(wd / "main.cpp")], check=True)
        (wd / "main.py").write_text(PY)
        (wd / "input.txt").write_text("1 2\n")
        progs = {
            "cpp": ([str(wd / "main")], ()),
            "python": ([python, "-S", "main.py"], python_ro),
        }
        for name, (argv, ro) in progs.items():
            spec = RunSpec(
                argv=argv,
                workdir=wd,
                limits=Limits(),
                env=env,
                stdin_path=wd / "input.txt",
                writable_workdir=False,
                readonly_paths=ro,
            )
            first = run(spec)
            assert first.stdout == b"1 2\n", first

            def bare(argv=argv):
                with open(wd / "input.txt", "rb") as f:
                    subprocess.run(argv, stdin=f, capture_output=True, cwd=wd, env=env, check=True)

            def judged(spec=spec):
                o = run(spec)
                assert o.outcome == "OK", o

            for fn in (bare, judged):  # warm up
                fn()
            times = {"bare": [], "judge": []}
            # interleave, so background load hits both sides alike
            for _ in range(runs):
                for key, fn in (("bare", bare), ("judge", judged)):
                    t = time.perf_counter()
                    fn()
                    times[key].append(time.perf_counter() - t)
            b, j = (statistics.mean(times[k]) * 1000 for k in ("bare", "judge"))
            results[name] = {
                "bare_ms": b,
                "judge_ms": j,
                "overhead_ms": j - b,
                "ratio": j / b,
                "median_overhead_ms": (statistics.median(times["judge"]) - statistics.median(times["bare"]))
                * 1000,
            }
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--modes", default="auto,direct", help="comma list of JUDGE_SANDBOX_MODE values")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # child mode
    args = ap.parse_args()
    if args.json:
        print(json.dumps(measure(args.runs)))
        return
    print(f"sandbox overhead, {args.runs} runs per program (mean; median in brackets)")
    for mode in args.modes.split(","):
        env = dict(os.environ, JUDGE_SANDBOX_MODE=mode)
        out = subprocess.run(
            [sys.executable, __file__, "--json", "--runs", str(args.runs)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"  mode {mode}: failed\n{out.stderr}")
            continue
        res = json.loads(out.stdout)
        for prog in ("cpp", "python"):
            r = res[prog]
            print(
                f"  {res['mode']:6} {prog:6}  bare {r['bare_ms']:6.2f} ms  judge {r['judge_ms']:6.2f} ms  "
                f"overhead {r['overhead_ms']:+5.2f} ms [{r['median_overhead_ms']:+5.2f}]  ratio {r['ratio']:.2f}"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
