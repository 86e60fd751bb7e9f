"""`make demo`: submit every example solution through the running API and print a verdict table.

Reads the API address and a token from the running `make run` (its state dir), or from --api/--token.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import httpx

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
    client = httpx.Client(base_url=args.api, timeout=30, headers={"Authorization": f"Bearer {args.token}"})
    todo = [(p, path) for p, path in submissions(REPO_ROOT / "problems") if not args.problem or p in args.problem]
    started = time.monotonic()
    sent = []
    for problem, path in todo:
        language = language_for_path(path).name
        response = client.post("/v1/submissions", json={"problem_id": problem, "language": language,
                                                        "source_code": path.read_text()})
        if response.status_code != 202:
            print(f"{problem}/{path.name}: HTTP {response.status_code} {response.text}")
            continue
        sent.append((problem, path, language, response.json()["submission_id"]))
    print(f"submitted {len(sent)} solutions; waiting for verdicts ...")
    results = {}
    while len(results) < len(sent) and time.monotonic() - started < 900:
        for *_, submission_id in sent:
            if submission_id not in results:
                body = client.get(f"/v1/submissions/{submission_id}").json()
                if body["status"] in FINAL:
                    results[submission_id] = body
        time.sleep(0.5)
    print(f"{'problem':<16}{'submission':<44}{'lang':<8}{'status':<8}{'verdict':<24}{'score':>6}{'ms':>7}")
    for problem, path, language, submission_id in sent:
        body = results.get(submission_id, {"status": "PENDING", "verdict": "", "score": None, "time_ms": None})
        expected = path.relative_to(REPO_ROOT / "problems" / problem / "submissions")
        score = "" if body["score"] is None else f"{body['score']:g}"
        reason = f"  {body['failure_reason'][:70]}" if body.get("failure_reason") else ""
        print(f"{problem:<16}{str(expected):<44}{language:<8}{body['status']:<8}{body['verdict'] or '':<24}"
              f"{score:>6}{body['time_ms'] if body['time_ms'] is not None else '':>7}{reason}")
    print(f"{len(results)}/{len(sent)} final in {time.monotonic() - started:.0f} s")
    return 0 if len(results) == len(sent) else 1


if __name__ == "__main__":
    sys.exit(main())
