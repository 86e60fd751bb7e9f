"""What one run could leave behind must never reach the next. These matter most in bwrap mode
with reuse (the default as root: a long-lived holder per uid slot, see isolation.py), where
consecutive runs of a slot share that slot's network/uts namespaces and mount template; they hold
in plain bwrap mode too. Consecutive runs in one thread get the same slot (the free list is LIFO):
each test checks it did, so it really exercises reuse."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from judge.sandbox import Limits, Outcome, RunSpec, fresh_workdir, isolation_mode, run, start
from judge.sandbox.isolation import current
from tests.judge.sandbox.helpers import ENV, assert_clean, build, marker, run_binary

PROGRAMS = Path(__file__).with_name("programs")
pytestmark = pytest.mark.skipif(isolation_mode() != "bwrap", reason="needs the bwrap mode")


def sh(script: str, workdir: Path, *, limits: Limits | None = None, **fields):
    """Run `sh -c script` and return (observation, uid)."""
    prog = start(
        RunSpec(
            argv=["sh", "-c", script], workdir=workdir, limits=limits or Limits(), env=dict(ENV), **fields
        )
    )
    return prog.wait(), prog.uid


def test_reuse_is_on_by_default():
    if os.environ.get("JUDGE_SANDBOX_REUSE", "1") not in ("0", "no", "false", "off"):
        assert current().reuse, current().describe()
        assert "per-slot" in current().describe()


def test_tmp_and_dev_shm_files_do_not_reach_the_next_run():
    mark = marker()
    with fresh_workdir() as wd:
        first, uid1 = sh(f"echo {mark} > /tmp/{mark} && echo {mark} > /dev/shm/{mark} && echo ok", wd)
        assert first.outcome == Outcome.OK and first.stdout == b"ok\n", first
        second, uid2 = sh(f"ls -A /tmp /dev/shm; cat /tmp/{mark} /dev/shm/{mark}; exit 0", wd)
    assert uid1 == uid2, "not the same slot: this test would prove nothing"
    assert second.outcome == Outcome.OK, second
    assert mark.encode() not in second.stdout, second
    assert b"No such file" in second.stderr
    assert not Path(f"/tmp/{mark}").exists()  # and it never was the host's /tmp


def test_sysv_ipc_does_not_reach_the_next_run():
    binary = build(PROGRAMS / "sysv_ipc.c")
    with fresh_workdir() as wd:
        made, _, uid1 = run_binary(binary, wd, "create")
        assert made.outcome == Outcome.OK and made.stdout == b"created shm=1 sem=1 msg=1\n", made
        probe, _, uid2 = run_binary(binary, wd, "probe")
    assert uid1 == uid2, "not the same slot: this test would prove nothing"
    assert probe.outcome == Outcome.OK, probe
    assert probe.stdout == b"shm=0 sem=0 msg=0 keys=none\n", probe


def test_background_process_does_not_reach_the_next_run():
    mark = marker()
    with fresh_workdir() as wd:
        # a detached sleeper that the first run leaves behind (named by the marker via argv[0])
        first, uid1 = sh(
            f"(setsid sh -c 'exec -a {mark} sleep 300' </dev/null >/dev/null 2>&1 &); echo left", wd
        )
        assert first.outcome == Outcome.OK and first.stdout == b"left\n", first
        assert_clean(mark, uid1)
        second, uid2 = sh("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done", wd)
    assert uid1 == uid2, "not the same slot: this test would prove nothing"
    assert second.outcome == Outcome.OK, second
    assert mark.encode() not in second.stdout, second
    # only this run's own processes: its launcher (pid 1), the shell and its pipeline
    assert len([line for line in second.stdout.splitlines() if line.strip()]) <= 4, second.stdout


def test_previous_workdir_is_not_visible():
    with fresh_workdir() as old, fresh_workdir() as new:
        (old / "secret.txt").write_text("earlier run's file\n")
        first, uid1 = sh("cat secret.txt", old)
        assert first.stdout == b"earlier run's file\n", first
        second, uid2 = sh(f"ls {old}; cat {old}/secret.txt; grep -c {old.name} /proc/self/mountinfo", new)
    assert uid1 == uid2, "not the same slot: this test would prove nothing"
    assert b"earlier" not in second.stdout, second
    assert second.stdout.split()[-1:] == [b"0"], second


def test_concurrent_runs_do_not_see_each_others_workdir():
    with fresh_workdir() as mine, fresh_workdir() as theirs:
        (theirs / "secret.txt").write_text("the other run's file\n")
        (theirs / "go").write_text("")
        other = start(
            RunSpec(
                argv=["sh", "-c", "while [ -e go ]; do sleep 0.02; done; cat secret.txt"],
                workdir=theirs,
                limits=Limits(wall_time_s=10),
                env=dict(ENV),
            )
        )
        try:
            time.sleep(0.2)  # it runs, its workdir is bound into its own namespace
            probe, uid = sh(
                f"ls -A {theirs}; cat {theirs}/secret.txt; ls -A /tmp; grep -c {theirs.name} /proc/self/mountinfo",
                mine,
            )
        finally:
            (theirs / "go").unlink()
        done = other.wait()
    assert done.outcome == Outcome.OK and done.stdout == b"the other run's file\n", done
    assert uid != other.uid
    assert b"other run" not in probe.stdout, probe
    assert theirs.name.encode() not in probe.stdout.split()[:-1], probe
    assert probe.stdout.split()[-1:] == [b"0"], probe


def test_concurrent_runs_cannot_reach_each_other_over_loopback():
    """Each slot has its own network namespace: a listener in one run is unreachable from another."""
    port = 47000 + os.getpid() % 1000
    listen = (
        "import socket,time\n"
        f"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',{port}))\n"
        "s.listen(); s.settimeout(1.5)\n"
        "try:\n  s.accept(); print('accepted')\nexcept OSError: print('nobody')\n"
    )
    connect = (
        "import socket\n"
        f"try:\n  socket.create_connection(('127.0.0.1',{port}),timeout=1); print('connected')\n"
        "except OSError as e: print('refused')\n"
    )
    python = "/usr/bin/python3"
    if not os.path.exists(python):
        pytest.skip("no system python3")
    with fresh_workdir() as a, fresh_workdir() as b:
        server = start(
            RunSpec(argv=[python, "-S", "-c", listen], workdir=a, limits=Limits(wall_time_s=5), env=dict(ENV))
        )
        time.sleep(0.3)
        client = run(RunSpec(argv=[python, "-S", "-c", connect], workdir=b, limits=Limits(), env=dict(ENV)))
        served = server.wait()
    assert client.stdout == b"refused\n", client
    assert served.stdout == b"nobody\n", served


def test_many_slots_in_parallel_stay_correct():
    """Threads running at once: every run gets its own slot and sees only its own files."""
    errors: list[str] = []

    def one(i: int) -> None:
        with fresh_workdir() as wd:
            (wd / "mine.txt").write_text(f"{i}\n")
            for _ in range(3):
                obs, _ = sh("cat mine.txt; ls -A /tmp | wc -l", wd)
                if obs.stdout != f"{i}\n1\n".encode():
                    errors.append(f"{i}: {obs}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_toolchain_bound_in_the_holder_is_seen_only_by_runs_that_ask():
    """Readonly paths outside /tmp are bound once into a holder kept for that set of paths: a run
    of the same slot that does not ask for them still must not see them."""
    import sys

    toolchain = Path(sys.base_prefix).resolve()
    if str(toolchain).startswith(("/tmp/", "/usr/")):
        pytest.skip("the toolchain is not outside the system dirs and /tmp")
    probe = f"ls {toolchain}/bin | grep -c python; touch {toolchain}/x 2>/dev/null && echo wrote; exit 0"
    with fresh_workdir() as wd:
        seen, uid1 = sh(probe, wd, readonly_paths=(toolchain,))
        hidden, uid2 = sh(probe, wd)
        again, uid3 = sh(probe, wd, readonly_paths=(toolchain,))
    assert uid1 == uid2 == uid3, "not the same slot: this test would prove nothing"
    assert seen.outcome == Outcome.OK and int(seen.stdout.split()[0]) > 0 and b"wrote" not in seen.stdout, seen
    assert hidden.stdout.split()[:1] == [b"0"], hidden
    assert again.stdout == seen.stdout, again
    assert not (toolchain / "x").exists()


def test_launch_server_is_replaced_when_it_dies():
    import signal

    iso = current()
    if not iso.reuse:
        pytest.skip("a whole bwrap per run: the launcher is bwrap's child, no server")
    with fresh_workdir() as wd:
        first, _ = sh("echo one", wd)
        server = iso._server
        assert server is not None, "as root the launch server starts the launchers"
        os.kill(server.pid, signal.SIGKILL)
        time.sleep(0.1)
        second, _ = sh("echo two", wd)  # falls back to an exec'd launcher
        third, _ = sh("echo three", wd)
    assert (first.stdout, second.stdout, third.stdout) == (b"one\n", b"two\n", b"three\n"), (first, second, third)
    assert iso._server is not None and iso._server is not server
