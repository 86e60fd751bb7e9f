"""One test per attack: the outcome, the judge survived, nothing outlived the run.

Attacks that only a namespace/second-uid defence stops are skipped in direct mode without root
(there the submission shares the judge's uid: see judge/sandbox/__init__.py for what it can do).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from judge.sandbox import Limits, MemoryModel, Outcome, RunSpec, fresh_workdir, isolation_mode, start
from judge.sandbox.isolation import current
from tests.judge.sandbox.helpers import ENV, assert_clean, build, marker, run_binary

PROGRAMS = Path(__file__).with_name("programs")
FAST = Limits(cpu_time_s=0.5, wall_time_s=1.5, memory_mib=64, output_mib=1, file_size_mib=1, processes=16)
namespaced = pytest.mark.skipif(isolation_mode() != "bwrap", reason="needs the bwrap mode")
separate_uid = pytest.mark.skipif(not current().separate_uid, reason="needs a second uid (root)")


def attack(name: str, *args: str, limits: Limits = FAST, **fields):
    with fresh_workdir() as wd:
        obs, mark, uid = run_binary(build(PROGRAMS / name), wd, *args, limits=limits, **fields)
        assert_clean(mark, uid)
        return obs


def test_fork_bomb():
    t = time.monotonic()
    obs = attack("fork_bomb.c")
    assert obs.outcome in (Outcome.TIME_LIMIT, Outcome.RUNTIME_ERROR), obs
    assert time.monotonic() - t < 10


def test_memory_bomb():
    obs = attack("memory_bomb.c")
    assert obs.outcome == Outcome.MEMORY_LIMIT, obs
    assert obs.memory_kb <= 64 * 1024


def test_infinite_loop():
    obs = attack("infinite_loop.c")
    assert obs.outcome == Outcome.TIME_LIMIT, obs
    assert obs.cpu_ms >= 500 or obs.wall_ms >= 1500


def test_sleeper():
    t = time.monotonic()
    obs = attack("sleeper.c")
    assert obs.outcome == Outcome.TIME_LIMIT and "wall" in obs.detail, obs
    assert obs.cpu_ms < 100 and time.monotonic() - t < 5


def test_output_flood():
    obs = attack("output_flood.c")
    assert obs.outcome == Outcome.OUTPUT_LIMIT, obs
    assert len(obs.stdout) == 1 << 20


def test_disk_fill_one_file():
    with fresh_workdir() as wd:
        obs, mark, uid = run_binary(build(PROGRAMS / "disk_fill.c"), wd, "file", limits=FAST)
        assert_clean(mark, uid)
        assert obs.outcome == Outcome.OUTPUT_LIMIT and "file size" in obs.detail, obs
        assert (wd / "fill.bin").stat().st_size <= 1 << 20


@namespaced
def test_disk_fill_tmp_is_capped_and_private():
    obs = attack("disk_fill.c", "tmp")
    assert obs.outcome == Outcome.OK, obs
    assert int(obs.stdout) <= 1 << 20  # the tmpfs is file_size_mib big
    assert not list(Path("/tmp").glob("fill-*"))  # and it was never the host's /tmp


def test_daemon_does_not_survive():
    obs = attack("daemon.c")
    assert obs.outcome == Outcome.OK and obs.stdout == b"parent done\n", obs


@separate_uid
def test_cannot_read_judge_environment(monkeypatch):
    secret = marker()
    monkeypatch.setenv("JUDGE_TEST_SECRET", secret)
    obs = attack("read_environ.c")
    assert obs.outcome == Outcome.OK, obs
    assert secret.encode() not in obs.stdout
    if isolation_mode() == "bwrap":  # and it cannot even see the judge's processes
        assert b"pytest" not in obs.stdout and b"/process_api" not in obs.stdout


@separate_uid
def test_kill_all_spares_the_judge():
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        obs = attack("kill_all.c")
        assert obs.outcome == Outcome.OK, obs
        assert bystander.poll() is None, "kill(-1) reached a process outside the sandbox"
    finally:
        bystander.kill()
        bystander.wait()


@namespaced
def test_tcp_connect_to_host_fails():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    got = []

    def accept():
        try:
            got.append(server.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    try:
        obs = attack("tcp_connect.c", str(server.getsockname()[1]))
    finally:
        t.join()
        server.close()
    assert obs.outcome == Outcome.RUNTIME_ERROR and b"failed" in obs.stdout, obs
    assert not got


COMPILE = Limits(cpu_time_s=3, wall_time_s=6, memory_mib=256, output_mib=1, file_size_mib=16, processes=16)


def compile_attack(source: str) -> tuple:
    gpp = shutil.which("g++")
    with fresh_workdir() as wd:
        shutil.copy(PROGRAMS / source, wd / source)
        mark = marker()
        prog = start(
            RunSpec(
                argv=[gpp, "-O2", f"-D{mark.replace('-', '_')}", "-o", "main", source],
                workdir=wd,
                limits=COMPILE,
                env=dict(ENV),
            )
        )
        t = time.monotonic()
        obs = prog.wait()
        assert_clean(mark.replace("-", "_"), prog.uid)
        return obs, time.monotonic() - t


def test_compile_include_dev_zero():
    obs, took = compile_attack("dev_zero.cpp")
    assert obs.outcome in (Outcome.TIME_LIMIT, Outcome.MEMORY_LIMIT, Outcome.OUTPUT_LIMIT), obs
    assert took < 10


def test_compile_exponential_templates():
    obs, took = compile_attack("template_bomb.cpp")
    assert obs.outcome in (Outcome.TIME_LIMIT, Outcome.MEMORY_LIMIT, Outcome.OUTPUT_LIMIT), obs
    assert took < 10


@pytest.mark.skipif(not shutil.which("javac"), reason="no JDK")
def test_java_thread_bomb():
    java = os.path.realpath(shutil.which("java"))
    with fresh_workdir() as wd:
        shutil.copy(PROGRAMS / "ThreadBomb.java", wd)
        subprocess.run(["javac", "-d", str(wd), str(wd / "ThreadBomb.java")], check=True)
        mark = marker()
        limits = Limits(
            cpu_time_s=2, wall_time_s=3, memory_mib=512, processes=48, memory_model=MemoryModel.RSS_POLLING
        )
        prog = start(
            RunSpec(
                argv=[java, "-Xmx64m", "-Xss512k", "-XX:+UseSerialGC", "-cp", ".", "ThreadBomb", mark],
                workdir=wd,
                limits=limits,
                env=dict(ENV),
            )
        )
        obs = prog.wait()
        assert_clean(mark, prog.uid)
    assert obs.outcome in (Outcome.TIME_LIMIT, Outcome.RUNTIME_ERROR), obs
    assert b"started" in obs.stdout or b"unable to create" in obs.stderr, obs
