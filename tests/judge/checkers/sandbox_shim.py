"""A stand-in for `judge.sandbox.start` in these tests: a plain subprocess with a wall-time limit.

It follows the contract in judge/sandbox/api.py (RunSpec in, RunningProgram with .pid, .wait()
-> Observation, .kill()) so the interactive wiring can be tested on its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from judge.sandbox.api import Observation, Outcome, RunSpec


class ShimProgram:
    def __init__(self, spec: RunSpec):
        self.started = time.monotonic()
        self.timed_out = False
        self.process = subprocess.Popen(
            spec.argv, stdin=spec.stdin_fd, stdout=spec.stdout_fd, stderr=subprocess.DEVNULL,
            cwd=spec.workdir, env=spec.env or {"PATH": os.environ["PATH"]}, start_new_session=True)
        self.pid = self.process.pid
        self.timer = threading.Timer(spec.limits.wall_time_s, self._time_limit)
        self.timer.start()

    def _time_limit(self) -> None:
        self.timed_out = True
        self.kill()

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self) -> Observation:
        code = self.process.wait()
        self.timer.cancel()
        wall_ms = int((time.monotonic() - self.started) * 1000)
        if self.timed_out:
            outcome = Outcome.TIME_LIMIT
        elif code == 0:
            outcome = Outcome.OK
        else:
            outcome = Outcome.RUNTIME_ERROR
        return Observation(outcome=outcome, exit_code=code if code >= 0 else None,
                           signal=-code if code < 0 else None, cpu_ms=0, wall_ms=wall_ms, memory_kb=0)


def start(spec: RunSpec) -> ShimProgram:
    return ShimProgram(spec)
