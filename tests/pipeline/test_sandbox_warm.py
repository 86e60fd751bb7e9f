"""The sandbox function as a warm Lambda runs it: invocation after invocation in one process. In
direct mode as one uid (tests/judge/sandbox/test_other_modes.py runs this file so), nothing a
submission leaves behind, a process or a file, reaches the next invocation."""

from __future__ import annotations

import base64
import os
import tempfile
import time

import pytest

from contracts.sandbox_protocol import RunReply, limits_to_wire
from judge import sandbox
from judge.sandbox.api import Limits, Outcome
from judge.sandbox.hardening import strays
from pipeline import sandbox_function

PLANT = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s/planted", argv[1]);
    FILE *f = fopen(path, "w");
    if (f) { fputs("left for the next user\n", f); fclose(f); }
    if (fork() == 0) { setsid(); if (fork() == 0) { sleep(30); _exit(0); } _exit(0); }
    puts("planted");
    return 0;
}
"""
LOOK = r"""
#include <dirent.h>
#include <stdio.h>
int main(int argc, char **argv) {
    DIR *d = opendir(argv[1]);
    struct dirent *e;
    while (d && (e = readdir(d))) if (e->d_name[0] != '.') printf("%s\n", e->d_name);
    return 0;
}
"""


def _c(source: str, argument: str) -> dict:
    """Compile `source` and run it once with `argument`, each an invocation of its own."""
    compiled = sandbox_function.handle({"version": 1, "action": "compile", "language": "c",
                                        "source_b64": base64.b64encode(source.replace("argv[1]", f'"{argument}"')
                                                                       .encode()).decode()})
    assert compiled["ok"], compiled
    reply = sandbox_function.handle({
        "version": 1, "action": "run", "language": "c", "artifact_b64": compiled["artifact_b64"],
        "limits": limits_to_wire(Limits(wall_time_s=5)), "tests": [{"name": "1", "input_b64": ""}]})
    return RunReply.from_wire(reply).observations[0]


@pytest.fixture
def scratch(monkeypatch):
    """The handler's temp directory, as /tmp is in Lambda (private to the test, so emptying it is safe)."""
    with tempfile.TemporaryDirectory(prefix="lambda-tmp-") as path:
        os.chmod(path, 0o777)
        monkeypatch.setenv("JUDGE_SCRUB_TMP", "1")
        monkeypatch.setattr(tempfile, "tempdir", path)
        yield path


def test_nothing_of_one_invocation_reaches_the_next(scratch):
    planted = _c(PLANT, scratch)
    assert planted.outcome == Outcome.OK and planted.stdout == b"planted\n", planted
    if not sandbox.runs_as_our_uid():
        return  # another uid, and with bwrap its own /tmp: nothing to scrub here
    assert strays() == [], "a process of the last invocation is still alive"
    assert os.listdir(scratch) == [], "a file of the last invocation is still there"
    time.sleep(0.05)
    looked = _c(LOOK, scratch)
    assert looked.outcome == Outcome.OK and b"planted" not in looked.stdout, looked


TAMPER = r"""
#include <cstdio>
#include <string>
#include <dirent.h>
#include <sys/stat.h>
// A C++ submission whose leading includes recur: from its second compile on they come precompiled.
// Then it tries what a submission would to reach the next one's compile: every precompiled header
// (and the header it stands for) it can find under the scratch directory, it overwrites.
static int found = 0;
static void walk(const std::string &dir) {
    DIR *d = opendir(dir.c_str());
    if (!d) return;
    while (dirent *e = readdir(d)) {
        std::string name = e->d_name, path = dir + "/" + name;
        struct stat st;
        if (name == "." || name == ".." || lstat(path.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) { walk(path); continue; }
        if (name == "prefix.h" || (name.size() > 4 && name.compare(name.size() - 4, 4, ".gch") == 0)) {
            ++found;
            if (FILE *f = fopen(path.c_str(), "w")) { fputs("#error tampered\n", f); fclose(f); }
        }
    }
    closedir(d);
}
int main() { walk(argv1); std::printf("found %d\n", found); }
"""


def test_recurring_cpp_includes_come_precompiled_from_memory_no_submission_can_reach(scratch, monkeypatch):
    from judge.prefix_headers import PrecompiledPrefixes

    monkeypatch.setattr(sandbox_function, "_PRECOMPILED_PREFIXES", PrecompiledPrefixes())
    source = TAMPER.replace("argv1", f'"{scratch}"').encode()
    seen = []
    for _ in range(3):
        reply = sandbox_function.handle({
            "version": 1, "action": "compile", "language": "cpp", "source_b64": base64.b64encode(source).decode(),
            "then_run": {"limits": limits_to_wire(Limits(wall_time_s=5)), "tests": [{"name": "1", "input_b64": ""}]}})
        assert reply["ok"], reply["compile_output"]
        [ran] = RunReply.from_wire(reply["ran"]).observations
        assert ran.outcome == Outcome.OK, ran
        seen.append((reply["precompiled"], ran.stdout))
    # Built on its second sighting, then held; no copy of it outlived the compile that used it.
    assert seen == [("", b"found 0\n"), ("built", b"found 0\n"), ("held", b"found 0\n")]
