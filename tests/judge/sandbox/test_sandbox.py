"""Unit-level behaviour of judge.sandbox in the mode this machine selects (bwrap as root here)."""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from pathlib import Path

import pytest

from judge.sandbox import (
    Limits,
    MemoryModel,
    Outcome,
    RunSpec,
    describe_isolation,
    fresh_workdir,
    isolation_mode,
    run,
    start,
)
from judge.sandbox.isolation import current
from tests.judge.sandbox.helpers import ENV, assert_clean, build, run_binary

PROGRAMS = Path(__file__).with_name("programs")
PYTHON = os.path.realpath(sys.executable)
PYTHON_HOME = (Path(sys.base_prefix).resolve(),)
# pyenv's interpreter lives under /root (0700): only bwrap can show it to another uid
python_ok = pytest.mark.skipif(
    current().separate_uid and isolation_mode() != "bwrap",
    reason="interpreter not reachable by the sandbox uid",
)


def prog(name: str) -> Path:
    return build(PROGRAMS / name)


@pytest.fixture
def wd():
    with fresh_workdir() as path:
        yield path


def test_mode_is_reported():
    assert isolation_mode() in ("bwrap", "direct")
    assert describe_isolation().startswith(isolation_mode())
    if (
        os.geteuid() == 0
        and os.environ.get("JUDGE_SANDBOX_MODE", "auto") == "auto"
        and os.path.exists("/usr/bin/bwrap")
    ):
        assert isolation_mode() == "bwrap"


def test_stdin_file_to_stdout(wd):
    (wd / "in.txt").write_bytes(b"1 2\nthree\n")
    obs, mark, uid = run_binary(prog("echo.c"), wd, stdin_path=wd / "in.txt")
    assert obs.outcome == Outcome.OK and obs.exit_code == 0, obs
    assert obs.stdout == b"1 2\nthree\n"
    assert_clean(mark, uid)


def test_stdin_defaults_to_dev_null(wd):
    obs, _, _ = run_binary(prog("echo.c"), wd)
    assert obs.outcome == Outcome.OK and obs.stdout == b""


def test_environment_is_exactly_spec_env(wd, monkeypatch):
    monkeypatch.setenv("JUDGE_SECRET_FOR_TEST", "must-not-leak")
    env = {"PATH": "/usr/bin:/bin", "ONLY": "this"}
    obs = run(RunSpec(argv=["/usr/bin/env"], workdir=wd, limits=Limits(), env=env))
    assert obs.outcome == Outcome.OK, obs
    assert obs.stdout.decode().splitlines() == ["PATH=/usr/bin:/bin", "ONLY=this"]
    empty = run(RunSpec(argv=["/usr/bin/env"], workdir=wd, limits=Limits(), env={}))
    assert empty.stdout == b""


def test_argv0_is_found_on_spec_path(wd):
    obs = run(RunSpec(argv=["true"], workdir=wd, limits=Limits(), env={"PATH": "/usr/bin"}))
    assert obs.outcome == Outcome.OK, obs
    missing = run(RunSpec(argv=["no-such-program"], workdir=wd, limits=Limits(), env=ENV))
    assert missing.outcome == Outcome.SANDBOX_ERROR and "No such file" in missing.detail


def test_cwd_is_the_workdir(wd):
    obs = run(RunSpec(argv=["/usr/bin/pwd", "-P"], workdir=wd, limits=Limits(), env=ENV))
    assert obs.stdout.decode().strip() == str(wd.resolve())


def test_no_descriptor_leaks(wd):
    leaky_r, leaky_w = os.pipe()
    os.set_inheritable(leaky_r, True)
    os.set_inheritable(leaky_w, True)
    try:
        obs, _, _ = run_binary(prog("open_fds.c"), wd)
    finally:
        os.close(leaky_r), os.close(leaky_w)
    assert obs.stdout == b"0 1 2\n", obs


def test_output_limit_kills_at_the_cap(wd):
    t = time.monotonic()
    obs = run(RunSpec(argv=["yes"], workdir=wd, limits=Limits(output_mib=2), env=ENV))
    assert obs.outcome == Outcome.OUTPUT_LIMIT, obs
    assert len(obs.stdout) == 2 << 20
    assert time.monotonic() - t < 2


def test_stderr_is_capped_not_fatal(wd):
    obs, _, _ = run_binary(prog("stderr_flood.c"), wd, str(1 << 20), limits=Limits(stderr_kib=8))
    assert obs.outcome == Outcome.OK, obs
    assert obs.stdout == b"done\n"
    assert obs.stderr == b"e" * 8192


def test_cpu_limit(wd):
    obs, mark, uid = run_binary(prog("cpu_burn.c"), wd, "5", limits=Limits(cpu_time_s=0.3, wall_time_s=5))
    assert obs.outcome == Outcome.TIME_LIMIT and "CPU" in obs.detail, obs
    assert 300 <= obs.cpu_ms < 700
    assert_clean(mark, uid)


def test_wall_limit_catches_sleepers(wd):
    t = time.monotonic()
    obs = run(RunSpec(argv=["sleep", "30"], workdir=wd, limits=Limits(wall_time_s=0.4), env=ENV))
    assert obs.outcome == Outcome.TIME_LIMIT and "wall" in obs.detail, obs
    assert 400 <= obs.wall_ms < 1000 and time.monotonic() - t < 3


def test_cpu_time_is_accurate(wd):
    obs, _, _ = run_binary(prog("cpu_burn.c"), wd, "1.0", limits=Limits(cpu_time_s=3, wall_time_s=10))
    assert obs.outcome == Outcome.OK, obs
    assert 950 <= obs.cpu_ms <= 1200, obs


def test_memory_excludes_the_judge(wd):
    ballast = b"j" * (300 << 20)  # the judge process itself holds 300 MB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 300 * 1024
    obs, _, _ = run_binary(prog("touch_mem.cpp"), wd, "64")
    assert obs.outcome == Outcome.OK, obs
    assert 64 * 1024 <= obs.memory_kb <= 70 * 1024, obs
    small, _, _ = run_binary(prog("echo.c"), wd)
    assert small.memory_kb < 8 * 1024, small
    del ballast


def test_memory_limit_address_space(wd):
    obs, _, _ = run_binary(prog("touch_mem.cpp"), wd, "200", limits=Limits(memory_mib=64))
    assert obs.outcome == Outcome.MEMORY_LIMIT, obs
    assert obs.memory_kb <= 64 * 1024


def test_single_huge_allocation_is_mle_not_rte(wd):
    obs, _, _ = run_binary(prog("huge_new.cpp"), wd, limits=Limits(memory_mib=64))
    assert obs.outcome == Outcome.MEMORY_LIMIT and b"bad_alloc" in obs.stderr, obs
    assert obs.memory_kb < 32 * 1024  # nothing was touched: only the message tells


@python_ok
def test_python_memory_error_is_mle(wd):
    env = dict(ENV, **{k: v for k, v in os.environ.items() if k == "LD_LIBRARY_PATH"})
    spec = RunSpec(
        argv=[PYTHON, "-S", "-c", "x = bytearray(1 << 34)"],
        workdir=wd,
        limits=Limits(memory_mib=128),
        env=env,
        readonly_paths=PYTHON_HOME,
    )
    obs = run(spec)
    assert obs.outcome == Outcome.MEMORY_LIMIT and b"MemoryError" in obs.stderr, obs


def test_rss_polling_model_kills_at_the_limit(wd):
    limits = Limits(memory_mib=64, memory_model=MemoryModel.RSS_POLLING, wall_time_s=5)
    obs, _, _ = run_binary(prog("touch_mem.cpp"), wd, "400", limits=limits)
    assert obs.outcome == Outcome.MEMORY_LIMIT and "resident" in obs.detail, obs
    assert 60 * 1024 <= obs.memory_kb < 200 * 1024


def test_exit_code_and_signal_are_runtime_errors(wd):
    obs, _, _ = run_binary(prog("exit_with.c"), wd, "3")
    assert (obs.outcome, obs.exit_code, obs.signal) == (Outcome.RUNTIME_ERROR, 3, None), obs
    obs, _, _ = run_binary(prog("exit_with.c"), wd, "segv")
    assert (obs.outcome, obs.exit_code, obs.signal) == (Outcome.RUNTIME_ERROR, None, 11), obs
    assert "SIGSEGV" in obs.detail


def test_file_size_limit(wd):
    obs = run(
        RunSpec(
            argv=["sh", "-c", "head -c 3000000 /dev/zero > big"],
            workdir=wd,
            limits=Limits(file_size_mib=1),
            env=ENV,
        )
    )
    assert obs.outcome in (Outcome.OUTPUT_LIMIT, Outcome.RUNTIME_ERROR), obs
    assert (wd / "big").stat().st_size <= 1 << 20


def test_open_files_limit(wd):
    obs, _, _ = run_binary(prog("open_many.c"), wd, limits=Limits(open_files=20))
    assert obs.outcome == Outcome.OK and int(obs.stdout) == 20, obs


def test_no_core_dumps(wd):
    obs, _, _ = run_binary(prog("exit_with.c"), wd, "segv")
    assert obs.signal == 11
    assert not [p for p in wd.iterdir() if p.name.startswith("core")]


def test_read_only_workdir(wd):
    obs, mark, _ = run_binary(prog("write_here.c"), wd, writable_workdir=False)
    Path(f"/tmp/{mark}.txt").unlink(missing_ok=True)  # direct mode writes the host's /tmp
    assert obs.stdout.startswith(b"cwd=no"), obs
    obs, mark, _ = run_binary(prog("write_here.c"), wd, writable_workdir=True)
    Path(f"/tmp/{mark}.txt").unlink(missing_ok=True)
    assert obs.stdout.startswith(b"cwd=yes"), obs


@pytest.mark.skipif(isolation_mode() != "bwrap", reason="a private /tmp needs a mount namespace")
def test_tmp_is_private_and_fresh(wd):
    first, mark, _ = run_binary(prog("write_here.c"), wd)
    assert first.stdout == b"cwd=yes tmp=yes\n"
    assert not Path(f"/tmp/{mark}.txt").exists()
    obs = run(RunSpec(argv=["ls", "-A", "/tmp"], workdir=wd, limits=Limits(), env=ENV))
    assert obs.stdout.split() == [wd.name.encode()], obs  # only the workdir's mount point


def test_interactive_wiring(wd):
    to_prog_r, to_prog_w = os.pipe()
    from_prog_r, from_prog_w = os.pipe()
    binary = prog("doubler.c")
    (wd / "doubler").write_bytes(binary.read_bytes())
    os.chmod(wd / "doubler", 0o755)
    running = start(
        RunSpec(
            argv=["./doubler"],
            workdir=wd,
            limits=Limits(),
            env=ENV,
            stdin_fd=to_prog_r,
            stdout_fd=from_prog_w,
        )
    )
    os.close(to_prog_r), os.close(from_prog_w)
    assert running.pid > 0
    answers = []
    with os.fdopen(to_prog_w, "w") as out, os.fdopen(from_prog_r) as inp:
        for x in (1, 21, 50):
            out.write(f"{x}\n")
            out.flush()
            answers.append(int(inp.readline()))
        out.write("0\n")
    obs = running.wait()
    assert answers == [2, 42, 100]
    assert obs.outcome == Outcome.OK and obs.stdout == b"", obs


def test_kill_ends_the_tree(wd):
    running = start(
        RunSpec(argv=["sh", "-c", "sleep 30 & sleep 30"], workdir=wd, limits=Limits(wall_time_s=20), env=ENV)
    )
    time.sleep(0.2)
    t = time.monotonic()
    running.kill()
    obs = running.wait(timeout=5)
    assert time.monotonic() - t < 2
    assert obs.outcome == Outcome.RUNTIME_ERROR and "request" in obs.detail, obs


def test_concurrent_runs_use_separate_uids(wd):
    results = []

    def one():
        with fresh_workdir() as own:
            results.append(run(RunSpec(argv=["id", "-u"], workdir=own, limits=Limits(), env=ENV)).stdout)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uids = {int(r) for r in results}
    if current().separate_uid:
        assert 0 not in uids and min(uids) >= current().uid_base
    else:
        assert uids == {os.getuid()}


def test_fresh_workdir_is_private_and_removed():
    with fresh_workdir() as path:
        mode = path.stat().st_mode & 0o7777
        assert mode == (0o2770 if current().separate_uid else 0o700)
        obs, _, _ = run_binary(prog("readonly_dir.c"), path)
        assert obs.outcome == Outcome.OK, obs
        assert (path / "ro" / "file").exists()
    assert not path.exists()


def test_python_fallback_launcher(wd, monkeypatch):
    from judge.sandbox import launcher_build

    monkeypatch.setenv("JUDGE_LAUNCHER", "python")
    launcher_build.launcher_command.cache_clear()
    try:
        assert launcher_build.launcher_command()[-1].endswith("pylauncher.py")
        obs = run(
            RunSpec(argv=["sh", "-c", "echo hi; sleep 30 & exit 0"], workdir=wd, limits=Limits(), env=ENV)
        )
        assert obs.outcome == Outcome.OK and obs.stdout == b"hi\n", obs
        tle = run(RunSpec(argv=["sleep", "9"], workdir=wd, limits=Limits(wall_time_s=0.3), env=ENV))
        assert tle.outcome == Outcome.TIME_LIMIT, tle
    finally:
        monkeypatch.delenv("JUDGE_LAUNCHER")
        launcher_build.launcher_command.cache_clear()
