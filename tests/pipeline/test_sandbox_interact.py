"""Interactive problems through the sandbox function: the validator runs beside the submission with
the test's input and answer sealed in the request, and in direct mode (tests/judge/sandbox/
test_other_modes.py runs this file again as one unprivileged uid, as in Lambda) a submission that
tries every way its uid has to them finds nothing, while the same attack wins against a validator run
the plain way (the control: it proves the attack can see what it looks for).

The attacker reads every file descriptor, environment and memory of every process it can see and
every file under /tmp, and answers with what it found; the validator accepts only the answer it holds."""

from __future__ import annotations

import json
import os
import secrets
import textwrap
from pathlib import Path

import pytest

from contracts.errors import SandboxInvokeError, SandboxProtocolError
from contracts.sandbox_protocol import InteractReply, open_sealed
from contracts.secret_box import SecretBox
from judge.checkers import checker_for
from judge.checkers.interactive import run_interactive
from judge.checkers.portable import PortableValidator, PortableValidatorError
from judge.engine import JudgeOptions, judge_submission, limits_for
from judge.languages import LANGUAGES
from judge.problem import load_problem
from judge.runner import LocalRunner, run_spec_for
from judge.sandbox import fresh_workdir
from judge.sandbox.isolation import current
from judge.verdict import Verdict
from pipeline import sandbox_function
from pipeline.lambda_runner import LambdaRunner
from pipeline.sandbox_function import handle

DIRECT_SAME_UID = current().same_uid
KEY = b"interactive-test-key-" + b"k" * 20
ROOT = Path(__file__).resolve().parents[2]

VALIDATOR = r'''
#include <stdio.h>
#include <string.h>
/* Accept only the answer it holds; say what was expected (the judge's eyes only). */
int main(int argc, char **argv) {
    char input[128] = {0}, answer[128] = {0}, guess[256] = {0}, path[4096];
    FILE *in = fopen(argv[1], "r"), *ans = fopen(argv[2], "r");
    if (!in || !ans || fscanf(in, "%127s", input) != 1 || fscanf(ans, "%127s", answer) != 1) return 1;
    printf("ready\n");
    fflush(stdout);
    if (scanf("%255s", guess) != 1) guess[0] = 0;
    snprintf(path, sizeof path, "%sjudgemessage.txt", argv[3]);
    FILE *message = fopen(path, "w");
    if (message) { fprintf(message, "expected %s for %s, got %s\n", answer, input, guess); fclose(message); }
    return strcmp(guess, answer) == 0 ? 42 : 43;
}
'''

ATTACKER = r'''
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
/* Look for the answer everywhere this uid may look (the judge's own directories first, then the
   rest of /tmp for as long as the time limit allows); answer with it, or with a plain guess. */
static char found[128];
static int saw_validator, read_fds, files;
static double deadline;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void search(const char *data, size_t size) {
    const char *hit = memmem(data, size, "SECRET-", 7);
    if (hit && !found[0]) {
        size_t n = 0;
        while (hit + n < data + size && n < sizeof found - 1 && hit[n] > ' ') n++;
        memcpy(found, hit, n);
    }
}

static void search_fd(int fd) {
    static char buf[1 << 16];
    ssize_t n;
    off_t at = 0;
    while (at < (1 << 22) && (n = pread(fd, buf, sizeof buf, at)) > 0) { search(buf, n); at += n; }
}

static void search_file(const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) { chmod(path, 0600); fd = open(path, O_RDONLY | O_NONBLOCK); }
    if (fd >= 0) { files++; search_fd(fd); close(fd); }
}

static void walk(const char *dir, int depth, const char *prefix) {
    if (now() > deadline) return;
    DIR *d = opendir(dir);
    if (!d) { chmod(dir, 0700); d = opendir(dir); }
    if (!d || depth > 12) { if (d) closedir(d); return; }
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (prefix && strncmp(e->d_name, prefix, strlen(prefix))) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) walk(path, depth + 1, NULL);
        else if (S_ISREG(st.st_mode) && st.st_size < (1 << 22)) search_file(path);
        else if (S_ISLNK(st.st_mode)) search_file(path);
    }
    closedir(d);
}

static void search_process(const char *pid) {
    char path[512], cmd[4096] = {0};
    snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        for (ssize_t i = 0; i < n; i++) if (!cmd[i]) cmd[i] = ' ';
        if (strstr(cmd, "/proc/self/fd/")) saw_validator = 1;
    }
    snprintf(path, sizeof path, "/proc/%s/environ", pid);
    search_file(path);
    snprintf(path, sizeof path, "/proc/%s/fd", pid);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char link[600];
            snprintf(link, sizeof link, "/proc/%s/fd/%s", pid, e->d_name);
            int f = open(link, O_RDONLY | O_NONBLOCK);
            if (f >= 0) { read_fds++; search_fd(f); close(f); }
        }
        closedir(d);
    }
    snprintf(path, sizeof path, "/proc/%s/maps", pid);
    FILE *maps = fopen(path, "r");
    snprintf(path, sizeof path, "/proc/%s/mem", pid);
    int mem = open(path, O_RDONLY);
    if (maps && mem >= 0) {
        unsigned long lo, hi;
        char perms[8], line[1024];
        static char buf[1 << 20];
        while (fgets(line, sizeof line, maps)) {
            if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r') continue;
            for (unsigned long at = lo; at < hi && at - lo < (64ul << 20); at += sizeof buf) {
                ssize_t n = pread(mem, buf, sizeof buf, (off_t)at);
                if (n <= 0) break;
                search(buf, n);
            }
        }
    }
    if (maps) fclose(maps);
    if (mem >= 0) close(mem);
}

int main(void) {
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 1;  /* the validator is up, its secrets open */
    deadline = now() + 2.5;
    char me[32];
    snprintf(me, sizeof me, "%d", getpid());
    DIR *proc = opendir("/proc");
    struct dirent *e;
    while (proc && (e = readdir(proc))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || !strcmp(e->d_name, me)) continue;
        search_process(e->d_name);
    }
    if (proc) closedir(proc);
    walk("/tmp", 0, "judge-");
    walk("/tmp", 0, NULL);
    fprintf(stderr, "saw_validator=%d read_fds=%d files=%d found=%s\n", saw_validator, read_fds, files,
            found[0] ? found : "-");
    printf("%s\n", found[0] ? found : "nothing");
    fflush(stdout);
    return 0;
}
'''

TAMPERER = r'''
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/* Put a feedback file of its own where the validator will write its message, then answer wrong. */
int main(void) {
    char line[64], path[4096];
    if (!fgets(line, sizeof line, stdin)) return 1;
    int replaced = 0;
    DIR *tmp = opendir("/tmp");
    struct dirent *e;
    while (tmp && (e = readdir(tmp))) {
        if (strncmp(e->d_name, "judge-interact-", 15)) continue;
        snprintf(path, sizeof path, "/tmp/%s/feedback/judgemessage.txt", e->d_name);
        if (unlink(path) == 0) {
            FILE *mine = fopen(path, "w");
            if (mine) { fputs("forged\n", mine); fclose(mine); replaced++; }
        }
    }
    fprintf(stderr, "replaced=%d\n", replaced);
    printf("nothing\n");
    fflush(stdout);
    return 0;
}
'''


class InProcessLambda:
    """The sandbox function's handler called as Lambda would (JSON in, JSON out). While it runs, the
    package's files are out of reach: in Lambda they are in the worker's environment, not here."""

    def __init__(self, package: Path):
        self.package, self.calls = package, []

    def invoke(self, FunctionName, InvocationType, Payload):
        request = json.loads(Payload)
        self.calls.append(Payload)
        hidden = self.package.with_name(self.package.name + ".away")
        self.package.rename(hidden)
        try:
            body = json.dumps(handle(request)).encode()
        finally:
            hidden.rename(self.package)

        class Body:
            def read(self):
                return body

        return {"Payload": Body()}


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setattr(sandbox_function, "_REPLY_KEY", KEY)


def secret_keeper(root: Path, time_limit: int = 4) -> tuple[Path, str, str]:
    """An interactive problem whose one test's answer is a fresh secret; in a directory of its own
    that the submission can reach only in the control (a test's files on disk, as a local judge has them)."""
    package = root / "secret-keeper"
    (package / "output_validator").mkdir(parents=True)
    (package / "data" / "secret").mkdir(parents=True)
    (package / "problem.yaml").write_text("problem_format_version: 2023-07-draft\ntype: interactive\n"
                                          f"name: Secret keeper\nlimits:\n  time_limit: {time_limit}\n")
    (package / "output_validator" / "validate.c").write_text(VALIDATOR)
    answer, given = f"SECRET-{secrets.token_hex(12)}", f"INPUT-{secrets.token_hex(12)}"
    (package / "data" / "secret" / "1.in").write_text(given + "\n")
    (package / "data" / "secret" / "1.ans").write_text(answer + "\n")
    os.chmod(root, 0o755)
    return package, answer, given


def _through_the_function(package: Path, source: str):
    problem = load_problem(package)
    client = InProcessLambda(package)
    runner = LambdaRunner(client, "sandbox", reply_key=KEY)
    language = LANGUAGES["c"]
    compiled = runner.compile(language, source.encode())
    assert compiled.ok, compiled.output
    [test] = problem.test_cases()
    observation, check = runner.interact(problem, language, compiled, test, limits_for(problem, JudgeOptions()),
                                         checker_for(problem))
    return observation, check, client


def test_the_attack_finds_nothing_through_the_sandbox_function(tmp_path, keyed):
    package, answer, given = secret_keeper(tmp_path)
    observation, check, client = _through_the_function(package, ATTACKER)
    assert check.verdict == Verdict.WRONG_ANSWER, (check, observation.stderr)
    assert answer not in observation.stderr.decode() and answer not in check.team_message
    assert f"expected {answer}" in check.feedback  # the judge sees what the validator wrote
    report = observation.stderr.decode()
    if DIRECT_SAME_UID:  # it saw the validator (same uid, no pid namespace) and could open none of it
        assert "saw_validator=1" in report and "read_fds=0 " in report, report
    for payload in client.calls:  # nor was anything of the test in the clear in a request
        assert answer.encode() not in payload and given.encode() not in payload


@pytest.mark.skipif(not DIRECT_SAME_UID, reason="the control: direct mode's one uid, where plain files are readable")
def test_the_same_attack_wins_against_a_validator_run_the_plain_way(tmp_path):
    package, answer, _ = secret_keeper(tmp_path)
    problem = load_problem(package)
    language = LANGUAGES["c"]
    runner = LocalRunner()
    compiled = runner.compile(language, ATTACKER.encode())
    [test] = problem.test_cases()
    with fresh_workdir() as workdir:
        compiled.artifact.write_into(workdir)
        spec = run_spec_for(language, compiled, workdir, limits_for(problem, JudgeOptions()))
        observation, check = run_interactive(problem, test, spec, checker_for(problem))
    assert check.verdict == Verdict.ACCEPTED, (check, observation.stderr)
    assert f"found={answer}" in observation.stderr.decode()


def test_a_replaced_feedback_file_is_the_submissions_runtime_error(tmp_path, keyed):
    package, _, _ = secret_keeper(tmp_path)
    observation, check, _ = _through_the_function(package, TAMPERER)
    if DIRECT_SAME_UID:
        assert b"replaced=1" in observation.stderr, observation
        assert check.verdict == Verdict.RUNTIME_ERROR and "interfered with its validator" in check.feedback, check
    else:  # another uid in its own namespaces: the validator's directory is not even in sight
        assert b"replaced=0" in observation.stderr and check.verdict == Verdict.WRONG_ANSWER, (observation, check)


def test_verdicts_through_the_function_are_the_local_judges(tmp_path, keyed):
    """The example interactive problem, one submission per expected verdict, judged both ways (in C:
    a sandbox uid here cannot reach this machine's Python; tests/e2e/test_interactive.py has all four)."""
    problem = load_problem(ROOT / "problems" / "guess")
    remote = LambdaRunner(InProcessLambda(tmp_path / "nothing-to-hide"), "sandbox", reply_key=KEY)
    (tmp_path / "nothing-to-hide").mkdir()
    submissions = ROOT / "problems" / "guess" / "submissions"
    for folder, name, verdict in [("accepted", "binary.c", Verdict.ACCEPTED),
                                  ("wrong_answer", "zero.c", Verdict.WRONG_ANSWER),
                                  ("run_time_error", "exit3_after_correct.c", Verdict.RUNTIME_ERROR),
                                  ("time_limit_exceeded", "spin_first.c", Verdict.TIME_LIMIT_EXCEEDED)]:
        source = (submissions / folder / name).read_bytes()
        language = LANGUAGES["c"]
        there = judge_submission(problem, language, source, remote)
        here = judge_submission(problem, language, source, LocalRunner())
        assert there.verdict == here.verdict == verdict, (name, there.reason, here.reason)
        assert [t.verdict for t in there.tests] == [t.verdict for t in here.tests], name
        assert there.judge["sandbox"].startswith("lambda/")


def test_a_python_validator_runs_unreadable_too(tmp_path, keyed):
    package, answer, _ = secret_keeper(tmp_path)
    (package / "output_validator" / "validate.c").unlink()
    (package / "output_validator" / "validate.py").write_text(textwrap.dedent('''
        import sys
        answer = open(sys.argv[2]).read().split()[0]
        print("ready", flush=True)
        guess = (sys.stdin.readline().split() or [""])[0]
        open(sys.argv[3] + "judgemessage.txt", "w").write(f"expected {answer}, got {guess}\\n")
        sys.exit(42 if guess == answer else 43)
    '''))
    observation, check, _ = _through_the_function(package, ATTACKER)
    assert check.verdict == Verdict.WRONG_ANSWER and f"expected {answer}" in check.feedback, (check, observation)
    if DIRECT_SAME_UID:
        assert b"saw_validator=1" in observation.stderr and b"read_fds=0 " in observation.stderr, observation


def test_a_script_validator_is_refused_where_it_would_be_readable(tmp_path):
    program = PortableValidator({"program/run": (0o755, b"#!/bin/sh\nexit 42\n")}, ("@/program/run",))
    with pytest.raises(PortableValidatorError, match="is a script"):
        program.materialize(tmp_path / "v")
    with pytest.raises(PortableValidatorError, match="not a plain relative path"):
        PortableValidator({"../escape": (0o755, b"x")}, ("@/../escape",))


def test_a_request_without_the_key_is_refused_in_direct_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_function, "_REPLY_KEY", None)
    package, _, _ = secret_keeper(tmp_path)
    problem = load_problem(package)
    runner = LambdaRunner(InProcessLambda(package), "sandbox")
    compiled = runner.compile(LANGUAGES["c"], ATTACKER.encode())
    [test] = problem.test_cases()
    if DIRECT_SAME_UID:
        with pytest.raises(SandboxInvokeError, match="need SANDBOX_REPLY_KEY"):
            runner.interact(problem, LANGUAGES["c"], compiled, test, limits_for(problem, JudgeOptions()),
                            checker_for(problem))
    else:  # another uid cannot read the request: the answer may travel in the clear there
        _, check = runner.interact(problem, LANGUAGES["c"], compiled, test, limits_for(problem, JudgeOptions()),
                                   checker_for(problem))
        assert check.verdict == Verdict.WRONG_ANSWER


def test_a_sealed_secret_opens_only_with_its_key_and_unchanged():
    box = SecretBox(KEY)
    sealed = box.seal(b"the answer")
    assert box.open(sealed) == b"the answer" and b"the answer" not in sealed.encode()
    assert box.seal(b"the answer") != sealed  # a fresh nonce each time
    with pytest.raises(SandboxProtocolError, match="does not match"):
        SecretBox(b"another key, just as long as the first").open(sealed)
    raw = bytearray(__import__("base64").b64decode(sealed))
    raw[20] ^= 1
    with pytest.raises(SandboxProtocolError, match="does not match"):
        box.open(__import__("base64").b64encode(bytes(raw)).decode())
    assert box.open(box.seal(b"")) == b""


def test_an_interaction_report_out_of_bounds_is_refused():
    good = {"version": 1, "isolation": "direct", "reports": [{
        "observation": {"outcome": "OK", "exit_code": 0, "signal": None, "cpu_ms": 1, "wall_ms": 1,
                        "memory_kb": 1, "detail": "", "stderr_b64": "", "stdout_gz_b64": "H4sIAAAAAAAA/wMAAAAAAAAAAAA="},
        "validator_code": 42, "validator_first": False, "failure": "", "feedback": {}, "log_b64": "",
        "interference": ""}]}
    assert InteractReply.from_wire(good).reports[0].validator_code == 42
    for change in ({"validator_code": 9999}, {"feedback": {"../../etc/passwd": ""}}, {"validator_first": "yes"}):
        bad = json.loads(json.dumps(good))
        bad["reports"][0].update(change)
        with pytest.raises(SandboxProtocolError):
            InteractReply.from_wire(bad)
    assert open_sealed(good, None, None) is good


def _validators_sent(client) -> list[str]:
    """For each interact call: 'files' (the validator's files) or 'digest' (named by its digest)."""
    kinds = []
    for payload in client.calls:
        request = json.loads(payload)
        if request.get("action") == "interact":
            kinds.append("digest" if set(request["validator"]) == {"digest"} else "files")
    return kinds


def test_a_validator_travels_once_per_environment_and_is_named_by_digest_after(tmp_path, keyed, monkeypatch):
    """The guess problem's tests: the validator's files go with the first, its digest with the others
    (what the handler holds in memory); with a handler that holds nothing (another environment), the
    test goes again with the files, and the rest of the submission carries them. Verdicts stay."""
    monkeypatch.setattr(sandbox_function, "_HELD_VALIDATORS", type(sandbox_function._HELD_VALIDATORS)())
    problem = load_problem(ROOT / "problems" / "guess")
    source = (ROOT / "problems" / "guess" / "submissions" / "accepted" / "binary.c").read_bytes()
    (tmp_path / "nothing-to-hide").mkdir()
    client = InProcessLambda(tmp_path / "nothing-to-hide")
    runner = LambdaRunner(client, "sandbox", reply_key=KEY)
    result = judge_submission(problem, LANGUAGES["c"], source, runner)
    tests = len(problem.test_cases())
    assert result.verdict == Verdict.ACCEPTED and len(result.tests) == tests, result.reason
    assert _validators_sent(client) == ["files"] + ["digest"] * (tests - 1)

    sandbox_function._HELD_VALIDATORS.clear()  # the next submission meets an environment that holds none
    client.calls.clear()
    runner.new_submission()
    original = sandbox_function._held
    forgetful = iter([True, False])  # this environment is lost once more after the first test

    def held_once(validator):
        if isinstance(validator, str) and next(forgetful, False):
            sandbox_function._HELD_VALIDATORS.clear()
        return original(validator)

    monkeypatch.setattr(sandbox_function, "_held", held_once)
    again = judge_submission(problem, LANGUAGES["c"], source, runner)
    assert again.verdict == Verdict.ACCEPTED and [t.verdict for t in again.tests] == [t.verdict for t in result.tests]
    # Each submission starts with the files; its second test names it, is refused, and goes again
    # with the files, as every later test of this submission does.
    assert _validators_sent(client) == ["files", "digest", "files"] + ["files"] * (tests - 2)


def test_a_validator_named_by_digest_is_the_one_held_under_it_or_refused_with_a_code(keyed):
    from contracts.sandbox_protocol import (
        VALIDATOR_UNKNOWN,
        InteractRequest,
        validator_from_wire,
        validator_reference,
    )
    from judge.runner import Artifact
    from judge.sandbox.api import Limits

    program = PortableValidator({"v": (0o755, b"\x7fELF...")}, ("@/v",))
    assert validator_from_wire(validator_reference(program.digest())) == program.digest()
    with pytest.raises(SandboxProtocolError, match="sha256 in hex"):
        validator_from_wire({"digest": "../../etc/passwd"})
    sandbox_function._HELD_VALIDATORS.clear()
    assert sandbox_function._held("0" * 64) is None
    assert sandbox_function._held(program) is program
    assert sandbox_function._held(program.digest()) is program
    unknown = InteractRequest("c", Artifact(), Limits(), "1" * 64, 1.0, ())
    assert sandbox_function._interact(unknown, LANGUAGES["c"])["code"] == VALIDATOR_UNKNOWN
