"""`make demo`: a run on custom input, a sample-mode submission with its diff, a submission's live
progress (server-sent events), then every example solution through the running API as a verdict table.

Reads the API address and a token from the running `make run` (its state dir), or from --api/--token.
Talks to the API through the typed client (backend/client.py), as a product's backend would.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from backend.client import ApiError, JudgeClient
from judge.languages import UnknownLanguage, language_for_path

REPO_ROOT = Path(__file__).resolve().parents[1]
FINAL = {"JUDGED", "FAILED"}


def submissions(problems_dir: Path) -> list[tuple[str, Path]]:
    found = []
    for package in sorted(p for p in problems_dir.iterdir() if (p / "problem.yaml").exists()):
        for path in sorted((package / "submissions").rglob("*")):
            try:
                language_for_path(path)
            except UnknownLanguage:
                continue
            found.append((package.name, path))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".state" / "devstack")
    parser.add_argument("--api")
    parser.add_argument("--token")
    parser.add_argument("--problem", action="append", help="only these problems")
    args = parser.parse_args(argv)
    ready = args.state_dir / "ready.json"
    if not (args.api and args.token):
        if not ready.exists():
            print("demo: no running stack found; start it with `make run` (or pass --api and --token)", file=sys.stderr)
            return 2
        info = json.loads(ready.read_text())
        args.api, args.token = args.api or info["api_url"], args.token or info["token"]
    client = JudgeClient(args.api, args.token)
    print_languages(client)
    show_run(client)
    show_samples(client)
    show_progress(client)
    todo = [(p, path) for p, path in submissions(REPO_ROOT / "problems") if not args.problem or p in args.problem]
    started = time.monotonic()
    sent = []
    for problem, path in todo:
        language = language_for_path(path).name
        try:
            accepted = client.submit(problem, language, path.read_text())
        except ApiError as error:
            print(f"{problem}/{path.name}: {error}")
            continue
        sent.append((problem, path, language, accepted.submission_id))
    print(f"submitted {len(sent)} solutions; waiting for verdicts ...")
    results = {}
    while len(results) < len(sent) and time.monotonic() - started < 900:
        for *_, submission_id in sent:
            if submission_id not in results:
                submission = client.get(submission_id)
                if submission.final:
                    results[submission_id] = submission
        time.sleep(0.5)
    print(f"{'problem':<16}{'submission':<44}{'lang':<8}{'status':<8}{'verdict':<24}{'score':>6}{'ms':>7}")
    for problem, path, language, submission_id in sent:
        found = results.get(submission_id)
        expected = path.relative_to(REPO_ROOT / "problems" / problem / "submissions")
        status, verdict = (found.status, found.verdict or "") if found else ("PENDING", "")
        score = "" if found is None or found.score is None else f"{found.score:g}"
        time_ms = "" if found is None or found.time_ms is None else found.time_ms
        reason = f"  {found.failure_reason[:70]}" if found and found.failure_reason else ""
        print(f"{problem:<16}{str(expected):<44}{language:<8}{status:<8}{verdict:<24}{score:>6}{time_ms:>7}{reason}")
    print(f"{len(results)}/{len(sent)} final in {time.monotonic() - started:.0f} s")
    return 0 if len(results) == len(sent) else 1


APLUSB = REPO_ROOT / "problems" / "aplusb"


def show_run(client: JudgeClient) -> None:
    """The Run button: a program on custom input, no problem, no verdict."""
    run = client.run("python", "a, b = map(int, input().split())\nprint(a * b)\n", "6 7\n")
    print(f"run (python, stdin '6 7'): {run.status}, stdout {run.stdout!r}, exit {run.exit_code}, "
          f"{run.cpu_ms} ms CPU, {run.wall_ms} ms wall, {run.memory_kb} KiB, limit {run.limit_verdict or 'none hit'}")


def show_samples(client: JudgeClient) -> None:
    """A sample-mode submission: each sample's output next to the expected one."""
    off_by_one = "a, b = map(int, input().split())\nprint(a + b + 1)\n"
    judged = client.wait(client.submit("aplusb", "python", off_by_one, mode="samples").submission_id)
    print(f"samples of aplusb (off by one): {judged.verdict}")
    for sample in judged.samples or []:
        print(f"  {sample.name}: {sample.verdict:<14} got {sample.output!r:<10} expected {sample.expected_output!r}")


def show_progress(client: JudgeClient) -> None:
    """A submission's state as the server pushes it (GET .../events), one line per change."""
    accepted = client.submit("aplusb", "cpp", (APLUSB / "submissions/accepted/sum.cpp").read_text())
    for event in client.events(accepted.submission_id):
        state = event.data
        done = f" {state['tests_done']}/{state['tests_total']} tests" if state["tests_total"] else ""
        print(f"  live: {state['status']}{done}{' ' + state['verdict'] if state['verdict'] else ''}", flush=True)


def print_languages(client: JudgeClient) -> None:
    for language in client.languages():
        version = language.compiler_version or "(version not reported yet: no submission compiled)"
        print(f"{language.name:<8}{language.display_name:<28}{version}")


if __name__ == "__main__":
    sys.exit(main())
