"""Which isolation the sandbox uses, and the pieces each mode needs (uid slots, bwrap argv).

Modes (auto-selected, overridable with JUDGE_SANDBOX_MODE=bwrap|direct):

- ``bwrap`` (root and bubblewrap available: this machine, CI, self-hosted hosts). The launcher
  runs as root inside fresh pid/net/ipc/uts/mount (and cgroup) namespaces as pid 2, and the
  program runs as a dedicated uid from a slot pool (JUDGE_SANDBOX_UID, default 64000, + slot;
  gid JUDGE_SANDBOX_GID, default 64000, shared by all slots). One slot per concurrent run, held
  with flock, so RLIMIT_NPROC (per uid) counts this run only and sweeping by uid never hits a
  neighbour. Filesystem: /usr, /bin, /lib*, /sbin, /etc read-only, the caller's readonly_paths
  read-only, the workdir read-write (or read-only), a size-capped private /tmp, a fresh /proc
  showing only the sandbox's processes, a minimal /dev. No network (only a loopback that nothing
  outside can reach). The pid namespace dies with its init, so nothing outlives the run.
  Reuse (the default in bwrap mode; JUDGE_SANDBOX_REUSE=0 turns it off): bubblewrap's per-run
  setup (two extra processes, a new network namespace, a mount tree built mount by mount) cost
  5-8 ms per run. Instead each uid slot gets one long-lived *holder*, made once by bwrap and kept
  until the judge process exits: it owns the slot's network namespace (loopback only), its uts
  namespace and a template mount namespace (the read-only system dirs, /dev, empty /proc and
  /tmp). Each run's launcher joins those (setns through the holder's pidfd) and then creates the
  rest afresh, so that nothing a run can leave behind reaches the next one: a new mount namespace
  copied from the template with a new /proc, new size-capped /tmp and /dev/shm tmpfs and only this
  run's workdir and readonly_paths bound in (open_tree clones taken in the judge's namespace); a
  new SysV IPC namespace; a new pid namespace whose init is the per-run intermediate that
  measures and sweeps the run (so when it ends, every process of the run is gone). What a slot's
  runs share is the loopback-only network namespace (sockets die with their processes; a closed
  TCP connection may linger in TIME_WAIT) and the template's root-owned, read-only-to-the-run
  directories. Slots never share anything, so concurrent runs cannot reach each other over
  loopback either. Holders exit when the judge closes their stdin, i.e. when it exits or dies.
- ``direct`` as root without bwrap (JUDGE_SANDBOX_MODE=direct): the same uid slots and rlimits,
  no namespaces (network and the host filesystem visible, within that uid's permissions).
- ``direct`` without root (AWS Lambda: no namespaces, no second uid): setsid + rlimits via the
  launcher, the program runs as the judge's own uid. It can read /proc of, and signal, every
  process of that uid, open network connections, and write wherever the uid can (RLIMIT_FSIZE caps
  each file). The pipeline keeps nothing of value in that process tree; see docs in __init__.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from judge import settings

_FS_ENCODING = sys.getfilesystemencoding()
LAUNCHER_IN_SANDBOX = "/run/judge/launcher"
SLOT_LOCK_DIR = Path("/run/judge-sandbox")


@dataclass
class Isolation:
    mode: str  # "bwrap" | "direct"
    as_root: bool
    bwrap: str | None = None
    uid_base: int = 64000
    gid: int = 64000
    slots: int = 256
    reuse: bool = False  # bwrap mode: per-slot holders joined by each run (see the module doc)
    _holders: dict[tuple[int, tuple[str, ...]], Holder] = field(default_factory=dict, repr=False)
    _free: list[int] = field(default_factory=list, repr=False)
    _taken: set[int] = field(default_factory=set, repr=False)
    _locks: dict[int, int] = field(default_factory=dict, repr=False)
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: LaunchServer | None = field(default=None, repr=False)

    @property
    def separate_uid(self) -> bool:
        return self.as_root

    @property
    def same_uid(self) -> bool:
        """Programs run as our own uid (direct mode without root, as in AWS Lambda): they can
        signal us and our launchers, so hardening.py's defences are on."""
        return self.mode == "direct" and not self.as_root

    def describe(self) -> str:
        if self.mode == "bwrap":
            how = (
                "per-run pid/ipc/mount namespaces joined to a per-slot net/uts namespace"
                if self.reuse
                else "private pid/net/ipc/uts/mount namespaces"
            )
            return (
                f"bwrap: uid {self.uid_base}+slot, gid {self.gid}, {how}, read-only system dirs, tmpfs /tmp"
            )
        if self.as_root:
            return f"direct: setsid + rlimits, uid {self.uid_base}+slot, no namespaces"
        return "direct: setsid + rlimits, same uid as the judge (no namespaces, no second uid)"

    # -- uid slots (only when we can switch uids) ---------------------------------------------

    def acquire_slot(self) -> int:
        """A uid slot no other run (in this or another process) is using, held until release."""
        with self._mutex:
            if self._free:
                slot = self._free.pop()
                self._taken.add(slot)
                return slot
            SLOT_LOCK_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
            for slot in range(self.slots):
                if slot in self._taken or slot in self._locks:
                    continue
                fd = os.open(
                    SLOT_LOCK_DIR / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                # whoever held it before may have crashed mid-run: nothing of that uid may live on
                kill_uid(self.uid_base + slot)
                self._locks[slot] = fd
                self._taken.add(slot)
                return slot
        raise RuntimeError(f"all {self.slots} sandbox uid slots are busy")

    def release_slot(self, slot: int) -> None:
        # the flock stays with this process: the next run here reuses the slot without a syscall
        with self._mutex:
            self._taken.discard(slot)
            self._free.append(slot)

    # -- per-slot holders (reuse mode) -----------------------------------------------------------

    def holder_pidfd(self, slot: int, launcher: str, readonly: tuple[str, ...] = ()) -> tuple[int, tuple[str, ...]]:
        """The pidfd of a holder of the slot, started on first use (or again if it died), and the
        paths its template already shows read-only. A run's `readonly` paths (absolute: the
        judge's toolchains, the same for every run of a language) are bound into the template of
        a holder kept for exactly that set, so that runs do not clone and bind them one by one;
        with too many distinct sets, or paths that are not there, the run binds them itself.
        Either way a run sees the template plus exactly its own readonly paths and workdir. The
        caller holds the slot, so nobody else touches this slot's holders meanwhile."""
        if readonly and not all(_template_can_bind(p) for p in readonly):
            readonly = ()
        with self._mutex:
            held = self._holders.get((slot, readonly))
            if held is None and readonly and sum(k[0] == slot for k in self._holders) >= HOLDERS_PER_SLOT:
                readonly = ()
                held = self._holders.get((slot, readonly))
        if held is not None:
            if held.alive():
                return held.pidfd, readonly
            held.close()
        held = Holder.start(self, launcher, readonly)
        with self._mutex:
            self._holders[(slot, readonly)] = held
        return held.pidfd, readonly

    # -- the launch server (as root with the C launcher) ----------------------------------------

    def launch_server(self, launcher: str) -> LaunchServer | None:
        """The launch server for `launcher` (started on first use, again if it died), or None
        when runs are spawned one exec each: without root (the program would share the server's
        uid, and so could take it over for later runs) or with JUDGE_SANDBOX_SERVER=0."""
        if not self.as_root or not settings.current().sandbox_server:
            return None
        with self._mutex:
            server = self._server
            if server is not None and server.usable(launcher):
                return server
            self._server = None
        if server is not None and server.pid_of_owner == os.getpid():
            server.close()
        try:
            server = LaunchServer.start(launcher)
        except OSError:
            return None
        with self._mutex:
            if self._server is None:
                self._server = server
                return server
            other = self._server
        server.close()
        return other

    def drop_server(self, server: LaunchServer) -> None:
        with self._mutex:
            if self._server is server:
                self._server = None
        server.close()

    def close_holders(self) -> None:
        with self._mutex:
            server, self._server = self._server, None
        if server is not None and server.pid_of_owner == os.getpid():
            server.close()
        with self._mutex:
            holders, self._holders = list(self._holders.values()), {}
        for held in holders:  # all their stdins first: they end together
            held.release()
        for held in holders:
            held.close()


@dataclass
class Holder:
    """One slot's long-lived namespaces: bwrap running `launcher -H` (which waits for EOF on its
    stdin). `pidfd` refers to the process inside the namespaces."""

    proc: subprocess.Popen
    pidfd: int
    keep: int  # our end of its stdin: closing it (or our death) ends the holder

    @classmethod
    def start(cls, iso: Isolation, launcher: str, readonly: tuple[str, ...] = ()) -> Holder:
        args = [iso.bwrap or "bwrap", "--unshare-net", "--unshare-uts", *_system_mounts()]
        args += ["--dev", "/dev", "--dir", "/proc", "--dir", "/tmp"]
        args += ["--ro-bind", launcher, LAUNCHER_IN_SANDBOX]
        args += _readonly_binds(readonly)
        stdin_r, keep = os.pipe2(os.O_CLOEXEC)
        info_r, info_w = os.pipe2(os.O_CLOEXEC)
        try:
            proc = subprocess.Popen(
                [*args, "--info-fd", str(info_w), LAUNCHER_IN_SANDBOX, "-H"],
                stdin=stdin_r,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(info_w,),
                env={"PATH": "/usr/bin:/bin"},
                start_new_session=True,  # a Ctrl-C for the judge is not one for its holders
            )
        finally:
            os.close(stdin_r), os.close(info_w)
        try:
            with os.fdopen(info_r, "rb") as info:
                ready = proc.stdout.read(1)  # the holder runs: bwrap's setup is complete
                if ready != b"R":
                    proc.wait(10)
                    raise RuntimeError(
                        f"sandbox holder failed: {proc.stderr.read().decode(errors='replace')}"
                    )
                text = b""
                while b"}" not in text:
                    chunk = info.read1(4096)
                    if not chunk:
                        break
                    text += chunk
            import json

            child = int(json.loads(text[: text.index(b"}") + 1])["child-pid"])
            pidfd = os.pidfd_open(child)
            # the pid is ours if its parent is still our bwrap (so it was not reused meanwhile)
            with open(f"/proc/{child}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) != proc.pid:
                    raise RuntimeError("sandbox holder vanished")
        except BaseException:
            os.close(keep)
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close(), proc.stderr.close()
        return cls(proc=proc, pidfd=pidfd, keep=keep)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def release(self) -> None:
        for fd in (self.keep, self.pidfd):
            if fd >= 0:
                os.close(fd)
        self.keep = self.pidfd = -1

    def close(self) -> None:
        self.release()
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


HOLDERS_PER_SLOT = 4  # distinct readonly sets kept bound in a slot's holders


def _template_can_bind(path: str) -> bool:
    """Whether a holder's template may show `path`: not where each run mounts afresh."""
    fresh = ("/tmp", "/dev", "/proc")
    return (os.path.isabs(path) and os.path.normpath(path) == path and os.path.exists(path)
            and not any(path == top or path.startswith(top + "/") for top in fresh))


_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/dev")


def _mount_point_dirs(dests, *, skip=(), system: tuple[str, ...] = _SYSTEM_DIRS) -> list[str]:
    """bwrap `--dir` arguments for the parents of the bind destinations `dests`, parents first.

    Mount points bwrap would create copy the host parents' modes (/root is 0700), which would lock
    the sandbox uid out: create them 0755 first. Parents before children, so a bind below another
    one is not hidden by it. Destinations themselves, `skip` and system trees are left alone."""
    dests, skip = set(dests), set(skip)
    parents: set[str] = set()
    for dest in dests:
        p = os.path.dirname(dest)
        while p not in ("/", ""):
            parents.add(p)
            p = os.path.dirname(p)
    args: list[str] = []
    for p in sorted(parents, key=lambda p: (p.count("/"), p)):
        if p in dests or p in skip or any(p == top or p.startswith(top + "/") for top in system):
            continue
        args += ["--perms", "0755", "--dir", p]
    return args


def _readonly_binds(paths: tuple[str, ...], *, skip: tuple[str, ...] = ()) -> list[str]:
    """bwrap arguments binding `paths` read-only (nosuid, nodev: bwrap's way) at the same place."""
    args = _mount_point_dirs(paths, skip=skip, system=(*_SYSTEM_DIRS, "/tmp"))
    for path in sorted(paths, key=lambda p: p.count("/")):
        args += ["--ro-bind", path, path]
    return args


class LaunchServer:
    """`launcher -X` (see launcher.c): forks a launcher per request, which saves the exec of a
    fresh launcher per run. It runs as root with an empty environment and holds nothing but its
    end of a socket pair: closing ours (or our death) ends it. Requests are serialized."""

    def __init__(self, launcher: str, pid: int, sock: socket.socket):
        self.launcher = launcher
        self.pid = pid
        self.pid_of_owner = os.getpid()  # a forked judge must not share our socket
        self.sock = sock
        self.broken = False
        self._lock = threading.Lock()

    @classmethod
    def start(cls, launcher: str) -> LaunchServer:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            try:
                actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
                actions.append((os.POSIX_SPAWN_DUP2, theirs.fileno(), 3))
                pid = os.posix_spawn(
                    launcher, [launcher, "-X"], {}, file_actions=actions, setsigmask=(),
                    setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD),
                    setsid=True,  # a Ctrl-C for the judge is not one for the server
                )
            finally:
                os.close(devnull)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(launcher, pid, ours)

    def usable(self, launcher: str) -> bool:
        return not self.broken and self.launcher == launcher and self.pid_of_owner == os.getpid()

    def spawn(self, argv: list[str], env: dict[str, str], fds: list[int]) -> tuple[int, int]:
        """Start a launcher with this argv, environment and fds 0, 1, 2, ...; return its pid and a
        pidfd. Raises OSError (and marks the server broken) when the server cannot."""
        strings = [str(len(argv)), *argv, *(f"{k}={v}" for k, v in env.items())]
        text = "\0".join(strings)
        if text.count("\0") != len(strings) - 1:
            raise ValueError("embedded null byte")  # as posix_spawn says
        payload = text.encode(_FS_ENCODING, "surrogateescape") + b"\0"
        if len(payload) >= 1 << 16:
            raise OSError(errno.E2BIG, "request too large for the launch server")
        with self._lock:
            try:
                socket.send_fds(self.sock, [payload], fds)
                reply, got, _flags, _ = socket.recv_fds(self.sock, 64, 1)
            except OSError:
                self.broken = True
                raise
        if not reply:
            self.broken = True
            for fd in got:
                os.close(fd)
            raise OSError(errno.EPIPE, "the launch server is gone")
        kind, _, value = reply.decode().partition(" ")
        if kind != "p" or len(got) != 1:
            for fd in got:
                os.close(fd)
            raise OSError(int(value) if kind == "e" and value.isdigit() else errno.EIO, "the launch server failed")
        return int(value), got[0]

    def close(self) -> None:
        self.broken = True
        self.sock.close()
        try:
            os.waitpid(self.pid, 0)  # it exits at EOF on its socket
        except ChildProcessError:
            pass


def kill_uid(uid: int) -> int:
    """SIGKILL every process whose uid is `uid`; returns how many were found."""
    found = 0
    for _ in range(10):  # a forking process may spawn between scan and kill: rescan
        pids = uid_processes(uid)
        if not pids:
            break
        found += len(pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return found


def uid_processes(uid: int) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    pids.append(int(name))
            except FileNotFoundError:
                pass
    return pids


def _bwrap_works(bwrap: str) -> bool:
    probe = [bwrap, *_system_mounts(), "--unshare-pid", "--unshare-net", "--die-with-parent", "true"]
    try:
        return (
            subprocess.run(
                probe, check=False, capture_output=True, timeout=10, env={"PATH": "/usr/bin:/bin"}
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


@cache
def current() -> Isolation:
    config = settings.current()
    want = config.sandbox_mode
    as_root = os.geteuid() == 0
    common = {"as_root": as_root, "uid_base": config.sandbox_uid, "gid": config.sandbox_gid,
              "slots": config.sandbox_slots}
    bwrap = shutil.which("bwrap")
    if want in ("auto", "bwrap") and as_root and bwrap and _bwrap_works(bwrap):
        iso = Isolation(mode="bwrap", bwrap=bwrap, **common)
        if config.sandbox_reuse:
            iso.reuse = _reuse_works(iso)
        if iso.reuse:
            import atexit

            atexit.register(iso.close_holders)
        return iso
    if want == "bwrap":
        raise RuntimeError("JUDGE_SANDBOX_MODE=bwrap needs root and a working bubblewrap")
    iso = Isolation(mode="direct", **common)
    if iso.same_uid:
        # Programs share our uid. Before the first one runs, this process becomes their
        # subreaper and stops being readable to them (see hardening.py).
        from judge.sandbox import hardening

        hardening.harden_this_process()
    return iso


def _reuse_works(iso: Isolation) -> bool:
    """Reuse needs the C launcher and a kernel with pidfd setns and open_tree/mount_setattr
    (5.12+): try one run in a throwaway holder."""
    from judge.sandbox.launcher_build import launcher_command

    launcher = launcher_command()
    if len(launcher) != 1:  # the Python fallback launcher has no join mode
        return False
    try:
        held = Holder.start(iso, launcher[0])
    except (OSError, RuntimeError, ValueError, KeyError, subprocess.SubprocessError):
        return False
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        try:
            done = subprocess.run(
                [launcher[0], "-r", str(w), "-J", str(held.pidfd), "-s", "65536", "-p", "8", "-P", "u",
                 "--", "/bin/true"],
                pass_fds=(w, held.pidfd),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=10,
                env={"PATH": "/usr/bin:/bin"},
                check=False,
            )  # fmt: skip
            os.close(w)
            w = -1
            with os.fdopen(r, "rb") as f:
                r = -1
                report = f.read().decode(errors="replace")
        finally:
            for fd in (r, w):
                if fd >= 0:
                    os.close(fd)
        return done.returncode == 0 and "status=0 " in report and "stage=0" in report
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        held.close()


@cache
def _system_mounts() -> tuple[str, ...]:
    """Read-only views of the system dirs, mirroring the host's merged-/usr symlinks."""
    args: list[str] = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return tuple(args)


# No --new-session: the launcher's child calls setsid() itself (no controlling tty, so no
# TIOCSTI), and no cgroup namespace: it would only hide cgroup paths. Both cost time per run.
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent")


def bwrap_prefix(
    iso: Isolation,
    *,
    launcher: tuple[str, ...],
    workdir: Path,
    writable: bool,
    readonly: tuple[Path, ...],
    tmp_bytes: int,
) -> list[str]:
    """bwrap argv up to (and including) the launcher inside the sandbox."""
    args = [iso.bwrap or "bwrap", *NAMESPACES, *_system_mounts(), "--proc", "/proc", "--dev", "/dev"]
    # tmpfs pages are nobody's RLIMIT_AS: cap them (/dev/shm from --dev would be unbounded)
    args += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/dev/shm"]
    binds: list[tuple[str, str]] = [("--ro-bind", str(p)) for p in readonly]
    binds.append(("--bind" if writable else "--ro-bind", str(workdir)))
    inner_launcher = list(launcher)
    if len(launcher) == 1:
        binds.append(("--ro-bind", launcher[0] + "\0" + LAUNCHER_IN_SANDBOX))
        inner_launcher = [LAUNCHER_IN_SANDBOX]
    else:  # the Python fallback: its interpreter and script must be visible
        import sys

        binds.append(("--ro-bind", sys.base_prefix))
        binds.append(("--ro-bind", launcher[-1]))
    args += _mount_point_dirs((spec.split("\0")[-1] for _, spec in binds), skip=("/tmp",))
    for kind, spec in sorted(binds, key=lambda b: b[1].split("\0")[-1].count("/")):
        src, _, dst = spec.partition("\0")
        args += [kind, src, dst or src]
    return args + inner_launcher
