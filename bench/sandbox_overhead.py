"""Per-run sandbox overhead against a bare subprocess run of the same program.

    .venv/bin/python bench/sandbox_overhead.py [--runs 200] [--modes auto,bwrap-fresh,direct] [--rounds 1]

For trivial C++ and Python programs (read a line, print it) it times N bare runs
(subprocess.run, stdin from a file, stdout/stderr captured) and N judge.sandbox.run() runs,
interleaved, and prints ms/run, the overhead in ms and the ratio. Each mode runs in its own
interpreter because the mode is fixed per process:

    auto         what this machine selects (bwrap with per-slot reuse as root with bubblewrap)
    bwrap        JUDGE_SANDBOX_MODE=bwrap (reuse on)
    bwrap-fresh  JUDGE_SANDBOX_MODE=bwrap JUDGE_SANDBOX_REUSE=0: a whole bwrap per run (the old way)
    direct       JUDGE_SANDBOX_MODE=direct

With --rounds R the modes take turns R times (so background load hits them alike) and the
figures are medians over the rounds.
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
    from judge.sandbox.isolation import current

    results = {"mode": isolation_mode() + ("+reuse" if current().reuse else "")}
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
                "median_ratio": statistics.median(times["judge"]) / statistics.median(times["bare"]),
            }
    return results


MODE_ENV = {
    "auto": {},
    "bwrap": {"JUDGE_SANDBOX_MODE": "bwrap"},
    "bwrap-fresh": {"JUDGE_SANDBOX_MODE": "bwrap", "JUDGE_SANDBOX_REUSE": "0"},
    "direct": {"JUDGE_SANDBOX_MODE": "direct"},
}
KEYS = ("bare_ms", "judge_ms", "overhead_ms", "median_overhead_ms", "ratio", "median_ratio")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--modes", default="auto,bwrap-fresh,direct", help=f"comma list of {', '.join(MODE_ENV)}")
    ap.add_argument("--rounds", type=int, default=1, help="take turns this many times; report medians")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # child mode
    args = ap.parse_args()
    if args.json:
        print(json.dumps(measure(args.runs)))
        return
    modes = args.modes.split(",")
    collected: dict[str, list[dict]] = {m: [] for m in modes}
    for _ in range(args.rounds):
        for mode in modes:
            env = dict(os.environ, **MODE_ENV[mode])
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
            collected[mode].append(json.loads(out.stdout))
    print(
        f"sandbox overhead, {args.runs} runs per program, {args.rounds} round(s) "
        "(mean; median in brackets; medians over rounds)"
    )
    for mode in modes:
        rounds = collected[mode]
        if not rounds:
            continue
        for prog in ("cpp", "python"):
            r = {k: statistics.median(x[prog][k] for x in rounds) for k in KEYS}
            print(
                f"  {rounds[0]['mode']:12} {prog:6}  bare {r['bare_ms']:6.2f} ms  judge {r['judge_ms']:6.2f} ms  "
                f"overhead {r['overhead_ms']:+5.2f} ms [{r['median_overhead_ms']:+5.2f}]  "
                f"ratio {r['ratio']:.2f} [{r['median_ratio']:.2f}]"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
