"""Start one program under the launcher, pump its pipes, and turn the launcher's report into an
Observation. See isolation.py for the modes, launcher.c for the watching and sweeping."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import select
import signal
import stat
import threading
import time
from pathlib import Path
from typing import Self

from judge.sandbox import hardening, isolation
from judge.sandbox.api import MemoryModel, Observation, Outcome, RunSpec
from judge.sandbox.launcher_build import launcher_command, sealed_launcher
from judge.sandbox.outcome import Report, classify, exit_fields, memory_kb

MIB = 1 << 20
STDERR_TAIL = 4096  # kept apart from the capped stderr, to recognise allocation-failure messages
BACKSTOP_GRACE_S = 5.0  # beyond the wall limit, in case the launcher itself is stuck
READ_CHUNK = 1 << 16  # a pipe holds 64 KiB by default: a bigger buffer buys nothing


def _launcher_args(spec: RunSpec, iso: isolation.Isolation, uid: int | None, joined: bool) -> list[str]:
    lim = spec.limits
    args = [
        "-r3", "-c4",
        "-t", str(max(1, round(lim.cpu_time_s * 1000))),
        "-w", str(max(1, round(lim.wall_time_s * 1000))),
        "-f", str(lim.file_size_mib * MIB),
        "-n", str(lim.open_files),
        "-p", str(lim.processes),
        "-P", "u" if uid is not None else "s",
        "-d", str(spec.workdir),
    ]  # fmt: skip
    if lim.memory_model is MemoryModel.ADDRESS_SPACE:
        args += ["-a", str(lim.memory_mib * MIB)]
    else:
        args += ["-m", str(lim.memory_mib * 1024)]
    args += ["-S", str(lim.memory_mib * MIB)]  # the stack counts as memory: deep recursion may use it
    if uid is not None:
        args += ["-u", str(uid), "-g", str(iso.gid)]
    if iso.mode == "bwrap" and not joined:  # bwrap per run: the launcher is its pid 2
        args.append("-K")
        # bwrap exports PWD after its chdir; the environment must stay exactly the caller's
        args += ["-e", f"PWD={spec.env['PWD']}" if "PWD" in spec.env else "PWD"]
    return args


HOLDER_FD = 5  # the slot holder's pidfd, in the launcher (reuse mode)


def _readonly(spec: RunSpec) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(Path(p).absolute()) for p in spec.readonly_paths))


def _join_args(spec: RunSpec, in_template: tuple[str, ...] = ()) -> list[str]:
    """Reuse mode: the launcher joins the slot's holder and binds what this run may see (what
    the holder's template does not show already)."""
    args = ["-J", str(HOLDER_FD), "-s", str(spec.limits.file_size_mib * MIB)]
    args += ["-W", "w" if spec.writable_workdir else "r"]
    for path in _readonly(spec):
        if path not in in_template:
            args += ["-B", path]  # the launcher binds parents before children
    return args


def _prepare_workdir(spec: RunSpec, iso: isolation.Isolation) -> int | None:
    """With a sandbox uid, the program reaches the workdir through the shared sandbox group (see
    workdir.py), and a read-only workdir is one the group cannot write. Without a second uid the
    program owns the directory: 0500 only stops accidents (it may chmod it back)."""
    st = os.stat(spec.workdir)
    if iso.separate_uid:
        # bwrap binds a read-only workdir read-only anyway
        want = stat.S_ISGID | (0o770 if spec.writable_workdir or iso.mode == "bwrap" else 0o750)
        if st.st_gid != iso.gid:
            os.chown(spec.workdir, -1, iso.gid)
    else:
        want = 0o700 if spec.writable_workdir else 0o500
    if stat.S_IMODE(st.st_mode) == want:
        return None
    os.chmod(spec.workdir, want)
    return stat.S_IMODE(st.st_mode)  # restored after the run


class RunningProgram:
    """A started program. `pid` is the process we spawned (bwrap or the launcher): the program
    itself may live in another pid namespace. `wait()` returns the Observation; `kill()` ends
    the whole tree (the observation then says RUNTIME_ERROR "killed on request" unless a limit
    was already exceeded)."""

    def __init__(self, spec: RunSpec, *, background: bool):
        if not Path(spec.workdir).is_absolute():  # bwrap binds and chdir need the real path
            spec = dataclasses.replace(spec, workdir=Path(spec.workdir).resolve())
        self.spec = spec
        self._iso = isolation.current()
        self._slot: int | None = None
        self._restore_mode: int | None = None
        self.uid: int | None = None  # the uid the program runs as; None: the judge's own
        self._stdout: list[bytes] = []
        self._stdout_len = 0
        self._stderr = bytearray()
        self._stderr_tail = b""
        self._report = b""
        self._output_exceeded = False
        self._observation: Observation | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._fds: dict[int, str] = {}
        self._control = -1
        self._holder_fd: int | None = None
        self._in_template: tuple[str, ...] = ()  # readonly paths the slot's holder binds already
        self._server: isolation.LaunchServer | None = None  # forks our launcher (no exec per run)
        self._pidfd: int | None = None  # the launcher's, when the server started it
        self._await_launcher = False  # wait for the launcher's exit, not just for the run's end
        # Direct mode as one uid (Lambda): the program may kill its launcher; we watch the launcher
        # (a pidfd) and sweep what it leaves behind ourselves.
        self._direct = self._iso.same_uid
        self._launcher_fd: int | None = None
        self._launcher_gone = False
        with hardening.spawn_guard() if self._direct else contextlib.nullcontext():
            self._spawn()  # and, in direct mode, registered as owned before any sweep can look
        if background:
            self._thread = threading.Thread(
                target=self._pump_and_finish, name=f"sandbox-{self.pid}", daemon=True
            )
            self._thread.start()

    # -- start ---------------------------------------------------------------------------------

    def _command(self) -> tuple[list[str], dict[str, str]]:
        """Take a uid slot (if any), prepare the workdir, and build argv and environment."""
        spec, iso = self.spec, self._iso
        uid = None
        if iso.separate_uid:
            self._slot = iso.acquire_slot()
            uid = self.uid = iso.uid_base + self._slot
        self._restore_mode = _prepare_workdir(spec, iso)
        launcher = launcher_command()
        reuse = iso.mode == "bwrap" and iso.reuse and len(launcher) == 1 and self._slot is not None
        if reuse:
            readonly = _readonly(spec)
            workdir = str(spec.workdir)
            if any(p == workdir or p.startswith(workdir.rstrip("/") + "/") for p in readonly):
                readonly = ()  # bound after the workdir, as the run does, or the workdir hides it
            self._holder_fd, self._in_template = iso.holder_pidfd(self._slot, launcher[0], readonly)
            prefix = list(launcher)
            # the launcher removes mount points it made outside the run's fresh /tmp and /dev/shm
            # once the run is over: the slot's next run must not race it
            self._await_launcher = not str(spec.workdir).startswith(("/tmp/", "/dev/shm/"))
        elif iso.mode == "bwrap":
            prefix = isolation.bwrap_prefix(
                iso,
                launcher=launcher,
                workdir=Path(spec.workdir),
                writable=spec.writable_workdir,
                readonly=tuple(spec.readonly_paths),
                tmp_bytes=spec.limits.file_size_mib * MIB,
            )
        else:
            # Direct mode: the program could rewrite a launcher file of its own uid for the next
            # run; a sealed in-memory copy is one nobody can change.
            prefix = [sealed_launcher(launcher[0])] if len(launcher) == 1 and iso.same_uid else list(launcher)
        if prefix == list(launcher) and len(launcher) == 1:
            self._server = iso.launch_server(launcher[0])
        env = dict(spec.env)  # the whole environment, also for bwrap: nothing of the judge's
        largs = _launcher_args(spec, iso, uid, reuse)
        if reuse:
            largs += _join_args(spec, self._in_template)
        if len(launcher) > 1:  # the Python fallback may need LD_LIBRARY_PATH to start at all
            env = {k: os.environ[k] for k in ("LD_LIBRARY_PATH",) if k in os.environ}
            largs += ["-C", *(f"-e{k}={v}" for k, v in spec.env.items())]
        argv = [*prefix, *largs, "--", *map(str, spec.argv)]
        return argv, env

    def _spawn(self) -> None:
        """Open the run's pipes, place them on fds 0-4 (and the holder's), and start the launcher.

        Long because every fd opened here must be closed on every failure path, and one try block
        over the whole sequence is the simplest proof that none leaks."""
        spec = self.spec
        if not spec.argv:
            raise ValueError("RunSpec.argv is empty")
        try:
            argv, env = self._command()
        except BaseException:
            self._cleanup()
            raise

        mine: list[int] = []  # our ends, closed on failure
        theirs: list[int] = []  # the child's ends, closed after spawn
        try:
            if spec.stdin_fd is not None:
                stdin = spec.stdin_fd
            else:
                stdin = os.open(spec.stdin_path or os.devnull, os.O_RDONLY | os.O_CLOEXEC)
                theirs.append(stdin)
            if spec.stdout_fd is not None:
                stdout = spec.stdout_fd
            else:
                r, stdout = os.pipe2(os.O_CLOEXEC)
                mine.append(r), theirs.append(stdout)
                self._fds[r] = "stdout"
            r, stderr = os.pipe2(os.O_CLOEXEC)
            mine.append(r), theirs.append(stderr)
            self._fds[r] = "stderr"
            r, report = os.pipe2(os.O_CLOEXEC)
            mine.append(r), theirs.append(report)
            self._fds[r] = "report"
            control, self._control = os.pipe2(os.O_CLOEXEC)
            mine.append(self._control), theirs.append(control)
            # move sources above 0..4 first, so one dup2 cannot clobber another's source
            sources = []
            passed = [stdin, stdout, stderr, report, control]
            if self._holder_fd is not None:
                passed.append(self._holder_fd)  # lands on HOLDER_FD
            for fd in passed:
                high = fcntl_dup(fd)
                theirs.append(high)
                sources.append(high)
            actions = [(os.POSIX_SPAWN_DUP2, src, dst) for dst, src in enumerate(sources)]
            self.start_time = time.monotonic()
            if self._server is not None:
                try:
                    self.pid, self._pidfd = self._server.spawn(argv, env, sources)
                except OSError:
                    self._iso.drop_server(self._server)  # the next run starts a new one
                    self._server = None
            if self._server is None:
                self.pid = os.posix_spawn(
                    argv[0],
                    argv,
                    env,
                    file_actions=actions,
                    setsigmask=(),
                    setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM),
                )
        except BaseException:
            for fd in mine:
                os.close(fd)
            self._fds.clear()
            self._control = -1
            self._cleanup()
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        if self._direct and self._pidfd is None:
            hardening.own(self.pid)
            self._launcher_fd = os.pidfd_open(self.pid)

    # -- pump ----------------------------------------------------------------------------------

    def _pump(self) -> None:
        lim = self.spec.limits
        cap = lim.output_mib * MIB
        err_cap = lim.stderr_kib * 1024
        poller = select.poll()
        for fd in self._fds:
            poller.register(fd, select.POLLIN)
        if self._launcher_fd is not None:
            poller.register(self._launcher_fd, select.POLLIN)
        deadline = self.start_time + lim.wall_time_s + BACKSTOP_GRACE_S
        backstopped = False
        while self._fds:
            left = deadline - time.monotonic()
            if left <= 0:
                if backstopped:
                    break  # something outside the tree holds our pipes: stop listening
                self._backstop()
                backstopped = True
                deadline = time.monotonic() + 1.0
                continue
            for fd, _ in poller.poll(left * 1000):
                if fd == self._launcher_fd:
                    poller.unregister(fd)
                    self._launcher_exited()
                    continue
                data = os.read(fd, READ_CHUNK)
                kind = self._fds[fd]
                if not data:
                    poller.unregister(fd)
                    os.close(fd)
                    del self._fds[fd]
                elif kind == "stdout":
                    if self._output_exceeded:
                        continue  # drain and discard until the tree is gone
                    room = cap - self._stdout_len
                    if len(data) > room:
                        data = data[:room]
                        self._output_exceeded = True
                        self._request_kill()
                    self._stdout.append(data)
                    self._stdout_len += len(data)
                elif kind == "stderr":
                    if len(self._stderr) < err_cap:
                        self._stderr += data[: err_cap - len(self._stderr)]
                    self._stderr_tail = (self._stderr_tail + data)[-STDERR_TAIL:]
                else:
                    self._report += data
        self._reap_launcher(backstopped)

    def _reap_launcher(self, backstopped: bool) -> None:
        """Our pipes are done with: close what is left and wait for the launcher we started."""
        for fd in list(self._fds):
            os.close(fd)
        self._fds.clear()
        if self._pidfd is None:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        else:
            # The run is over: whoever watched it (the launcher, or when joined its pid-1
            # intermediate) reaped every process of the run, then reported and closed our pipes.
            # The launcher (the server's child, reaped there) only has its own exit left, unless
            # it must remove mount points it made on the slot's template.
            if self._await_launcher or backstopped:
                select.select([self._pidfd], [], [])
            os.close(self._pidfd)
            self._pidfd = None

    def _launcher_exited(self) -> None:
        """The launcher is gone. Its last act is the report; without one the program killed it,
        and whatever the program left running still holds our pipes: sweep it now."""
        self._launcher_gone = True
        if not Report.parse(self._report.decode(errors="replace")).complete:
            time.sleep(0.001)  # a report written just before the exit is still in the pipe: read it
            for fd, kind in list(self._fds.items()):
                if kind == "report":
                    self._report += _drain(fd)
            if not Report.parse(self._report.decode(errors="replace")).complete:
                hardening.sweep()

    def _backstop(self) -> None:
        """The launcher did not finish in time (it never should): kill it and its program."""
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)  # bwrap: --die-with-parent takes the namespace down
        except ProcessLookupError:
            pass
        if self._direct:
            hardening.sweep()
        if self._slot is not None:
            isolation.kill_uid(self._iso.uid_base + self._slot)

    def _request_kill(self) -> None:
        if self._control >= 0:
            try:
                os.write(self._control, b"k")
            except OSError as e:  # the launcher is already gone
                if e.errno not in (errno.EPIPE, errno.EBADF):
                    raise

    def _pump_and_finish(self) -> None:
        try:
            self._pump()
            self._observation = self._observe()
        except BaseException as e:
            self._observation = _sandbox_error(f"sandbox failure: {e!r}")
        finally:
            self._cleanup()
            if self._direct:
                hardening.disown(self.pid)
                hardening.sweep()  # nothing of this run outlives it, launcher killed or not
            self._done.set()

    def _cleanup(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        if self._launcher_fd is not None:
            os.close(self._launcher_fd)
            self._launcher_fd = None
        if self._control >= 0:
            os.close(self._control)
            self._control = -1
        if self._restore_mode is not None:
            try:
                os.chmod(self.spec.workdir, self._restore_mode)
            except FileNotFoundError:
                pass
            self._restore_mode = None
        self._release_slot()

    def _release_slot(self) -> None:
        if self._slot is not None:
            self._iso.release_slot(self._slot)
            self._slot = None

    # -- observe -------------------------------------------------------------------------------

    def _observe(self) -> Observation:
        rep = Report.parse(self._report.decode(errors="replace"))
        if self._direct and not rep.complete and not rep.error:
            # Only the program (same uid) can end the launcher before its report: the program's
            # failure, and nothing it wrote to stderr may travel on as our explanation.
            return Observation(Outcome.RUNTIME_ERROR, None, None, 0, 0, 0, stdout=b"".join(self._stdout),
                               detail="the program ended its launcher (no report)")
        outcome, detail = classify(
            self.spec.limits,
            rep,
            output_exceeded=self._output_exceeded,
            stderr_tail=self._stderr_tail,
            argv0=str(self.spec.argv[0]),
        )
        if self._killed_by_caller and outcome is Outcome.RUNTIME_ERROR and rep.killed == "control":
            detail = "killed on request"
        code, sig = exit_fields(rep.status) if rep.complete else (None, None)
        stderr = bytes(self._stderr)
        if outcome is Outcome.SANDBOX_ERROR and not rep.complete and stderr:
            detail += ": " + stderr.decode(errors="replace").strip()[-500:]
        return Observation(
            outcome=outcome,
            exit_code=code,
            signal=sig,
            cpu_ms=round(rep.cpu_us / 1000),
            wall_ms=round(rep.wall_us / 1000),
            memory_kb=memory_kb(rep),
            stdout=b"".join(self._stdout),
            stderr=stderr,
            detail=detail,
        )

    # -- public --------------------------------------------------------------------------------

    _killed_by_caller = False

    def kill(self) -> None:
        """End the program and everything it started; wait() still returns its Observation."""
        self._killed_by_caller = True
        self._request_kill()

    def wait(self, timeout: float | None = None) -> Observation:
        if self._thread is None:
            if not self._done.is_set():
                self._pump_and_finish()
        elif not self._done.wait(timeout):
            raise TimeoutError(f"sandboxed program {self.pid} still running")
        assert self._observation is not None
        return self._observation

    def poll(self) -> Observation | None:
        return self._observation if self._done.is_set() else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        if not self._done.is_set():
            self.kill()
        self.wait()


def _drain(fd: int) -> bytes:
    """What is in the pipe now, without blocking."""
    data = b""
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:
            break
        data += chunk
    return data


def fcntl_dup(fd: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)


def _sandbox_error(detail: str) -> Observation:
    return Observation(Outcome.SANDBOX_ERROR, None, None, 0, 0, 0, detail=detail)


def start(spec: RunSpec) -> RunningProgram:
    """Start the program and return at once; its pipes are pumped by a background thread."""
    return RunningProgram(spec, background=True)


def run(spec: RunSpec) -> Observation:
    """Run the program to the end and observe it. Never raises for the program's behaviour;
    a sandbox that cannot start the program says SANDBOX_ERROR."""
    try:
        prog = RunningProgram(spec, background=False)
    except OSError as e:
        return _sandbox_error(f"could not start the sandbox: {e}")
    return prog.wait()
