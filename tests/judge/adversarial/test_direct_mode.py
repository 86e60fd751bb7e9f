"""Attacks on the judge itself, aimed at direct mode (AWS Lambda: the program shares the judge's uid,
no namespaces). They run in every mode (tests/judge/sandbox/test_other_modes.py runs this folder
again in direct mode, as root and as an unprivileged uid); each says what must hold in all of them.
"""

from __future__ import annotations

import os
import time

from judge.sandbox import Limits, Outcome, RunSpec, fresh_workdir, run
from judge.sandbox.hardening import is_hardened, strays
from judge.sandbox.isolation import current
from tests.judge.adversarial.test_attacks import FAST, PROGRAMS
from tests.judge.sandbox.helpers import ENV, assert_clean, build, marker, run_binary

DIRECT_SAME_UID = current().same_uid
VICTIM = b"#include <stdio.h>\nint main(void){int c; while((c=getchar())!=EOF) putchar(c); return 0;}\n"


def _victim(stdin: bytes) -> tuple[object, bytes]:
    """An innocent later run: echo its (secret) input."""
    with fresh_workdir() as wd:
        (wd / "in").write_bytes(stdin)
        binary = build("victim.c", VICTIM.decode())
        obs, mark, uid = run_binary(binary, wd, limits=FAST, stdin_path=wd / "in")
        assert_clean(mark, uid)
        return obs


def test_the_judge_is_its_programs_subreaper_and_unreadable_in_direct_mode():
    if DIRECT_SAME_UID:
        assert is_hardened()


def test_an_escape_that_kills_its_launcher_leaves_nothing_behind(tmp_path):
    spylog = tmp_path / "spy.log"
    os.chmod(tmp_path, 0o777)  # the program may run as a sandbox uid (root, direct mode)
    secret = marker()
    started = time.monotonic()
    with fresh_workdir() as wd:
        obs, mark, uid = run_binary(build(PROGRAMS / "escape_and_spy.c"), wd, str(spylog), "20", secret,
                                    limits=Limits(cpu_time_s=2, wall_time_s=5, memory_mib=64, processes=16))
        assert_clean(mark, uid)
    assert time.monotonic() - started < 4, "the judge waited for the wall limit instead of sweeping"
    if DIRECT_SAME_UID:  # it could kill its launcher: that is its failure, and its stderr stays out
        assert obs.outcome == Outcome.RUNTIME_ERROR and "launcher" in obs.detail, obs
    assert f"EXFIL-{secret}" not in obs.detail
    if DIRECT_SAME_UID:  # (elsewhere the judge has children of its own: holders, a launch server)
        assert strays() == []
    victim = _victim(f"the victim's input {secret}\n".encode())
    assert victim.outcome == Outcome.OK and victim.stdout == f"the victim's input {secret}\n".encode(), victim
    time.sleep(0.05)
    stolen = spylog.read_bytes() if spylog.exists() else b""
    assert secret.encode() not in stolen and b"stole" not in stolen


def test_a_forged_report_is_never_believed():
    with fresh_workdir() as wd:
        # A wall limit far above the CPU limit: on a loaded machine the CPU limit must still be the one hit.
        obs, mark, uid = run_binary(build(PROGRAMS / "forge_report.c"), wd,
                                    limits=Limits(cpu_time_s=1, wall_time_s=12, memory_mib=64))
        assert_clean(mark, uid)
    assert obs.outcome == Outcome.TIME_LIMIT and obs.cpu_ms >= 900, obs
    assert b"opened" not in obs.stdout, obs.stdout


def test_no_ancestor_is_readable():
    with fresh_workdir() as wd:
        obs, mark, uid = run_binary(build(PROGRAMS / "read_ancestors.c"), wd, limits=FAST)
        assert_clean(mark, uid)
    assert obs.outcome == Outcome.OK, obs
    assert b"readable" not in obs.stdout, obs.stdout.decode()


def test_a_rewritten_launcher_on_disk_is_not_what_runs_next(tmp_path):
    """The launcher file may belong to the program's uid (a cache under HOME or /tmp): the judge
    runs a sealed copy, so rewriting the file changes nothing."""
    from judge.sandbox.launcher_build import launcher_command, sealed_launcher

    launcher = launcher_command()
    if not DIRECT_SAME_UID or len(launcher) != 1:
        return  # elsewhere the program cannot write the launcher; the Python fallback has no binary
    sealed = sealed_launcher(launcher[0])
    assert sealed.startswith("/proc/self/fd/")
    fd = int(sealed.rsplit("/", 1)[1])
    try:
        os.write(fd, b"evil")
        raise AssertionError("the sealed launcher took a write")
    except PermissionError:
        pass
    with fresh_workdir() as wd:
        obs = run(RunSpec(argv=["/bin/echo", "still watched"], workdir=wd, limits=FAST, env=dict(ENV)))
    assert obs.outcome == Outcome.OK and obs.stdout == b"still watched\n", obs


def test_the_sealed_launcher_fd_is_never_one_a_spawn_overwrites(tmp_path):
    """A process with few files open (a Lambda runtime) gets its memfd as fd 3, which the spawn's
    own pipes (0-4, the holder's 5) would replace before the exec: it must live far above them."""
    from judge.sandbox import launcher_build

    binary = tmp_path / "launcher-copy"
    binary.write_bytes(b"\x7fELF not really")
    sealed = launcher_build.sealed_launcher(str(binary))
    if sealed == str(binary):
        return  # no sealable memfds here: the file itself runs
    assert int(sealed.rsplit("/", 1)[1]) >= launcher_build.SEALED_FD_FLOOR > 5


def test_an_include_of_an_absolute_path_reads_nothing_of_the_judge():
    """`#include "/proc/<judge>/environ"` would echo the judge's environment into the compile
    output; the judge is unreadable (direct mode) or invisible (bwrap), and the output is capped."""
    from judge.languages import LANGUAGES
    from judge.runner import COMPILE_OUTPUT_LIMIT, compile_in_sandbox

    source = f'#include "/proc/{os.getpid()}/environ"\nint main(void){{return 0;}}\n'.encode()
    compiled = compile_in_sandbox(LANGUAGES["c"], source)
    assert not compiled.ok
    for name in ("PATH=", "HOME=", "PYTHONPATH=", "JUDGE_TEST_NESTED="):
        assert name not in compiled.output, compiled.output[:500]
    assert len(compiled.output.encode()) <= COMPILE_OUTPUT_LIMIT + 100
