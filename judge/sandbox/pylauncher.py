"""Python twin of launcher.c, used only where no C compiler exists to build it.

Same command line and report protocol (see launcher.c), plus -C: start the program's environment
empty and build it from -e options, because this interpreter may itself need variables (e.g.
LD_LIBRARY_PATH for libpython) that the program must not inherit. One known difference: the program is
forked from this interpreter, and the kernel carries the parent's RSS high-water mark into the
child's ru_maxrss across exec, so peak memory is never reported below this interpreter's size
(about 8-10 MB with -I -S). Run it as `python -I -S pylauncher.py ...` to keep that floor low.
It imports nothing from the judge: it must start fast and inside the sandbox's filesystem view.
"""

import ctypes
import errno
import getopt
import os
import resource
import select
import signal
import struct
import sys
import time
import warnings  # noqa: F401  os.execvp imports it lazily: after the uid switch it may be unreadable

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
SAMPLE_S = 0.010
ST_RLIMIT, ST_SETSID, ST_CHDIR, ST_IDS, ST_EXEC = 1, 2, 3, 4, 5

_libc = ctypes.CDLL(None, use_errno=True)
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGESIZE") // 1024


def prctl(option, value):
    if _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl")


def read_stat(pid):
    """(ppid, cpu ticks incl. reaped children, threads, rss pages) or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    f = [0, 0, *fields]  # 1-based like proc(5), fields from 3 on
    return int(f[4]), sum(int(f[i]) for i in (14, 15, 16, 17)), int(f[20]), int(f[24])


def collect_tree():
    """Every live descendant (we are a child subreaper: orphans come back to us)."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = read_stat(name)
            if st:
                parents[int(name)] = st[0]
    tree, frontier = [], {os.getpid()}
    while frontier:
        nxt = {p for p, pp in parents.items() if pp in frontier and p not in tree}
        tree.extend(nxt)
        frontier = nxt
    return tree


def count_uid_tasks(uid):
    total = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    st = read_stat(name)
                    total += st[2] if st else 0
            except OSError:
                pass
    return total


def set_limit(res, value):
    _soft, hard = resource.getrlimit(res)
    v = resource.RLIM_INFINITY if value < 0 else value
    if hard != resource.RLIM_INFINITY and (v == resource.RLIM_INFINITY or v > hard):
        v = hard
    resource.setrlimit(res, (v, v))


def child(o, errw, nproc_limit, launcher_pid):
    stage = ST_SETSID
    try:
        for s in range(1, signal.NSIG):
            try:
                signal.signal(s, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.setsid()
        stage = ST_RLIMIT
        cpu_s = (o["t"] + 999) // 1000 + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        if o["a"] > 0:
            set_limit(resource.RLIMIT_AS, o["a"])
        if o["S"] > 0:
            set_limit(resource.RLIMIT_STACK, o["S"])
        set_limit(resource.RLIMIT_FSIZE, o["f"])
        set_limit(resource.RLIMIT_NOFILE, o["n"])
        for res in (resource.RLIMIT_CORE, resource.RLIMIT_MEMLOCK, resource.RLIMIT_MSGQUEUE):
            set_limit(res, 0)
        set_limit(resource.RLIMIT_NPROC, nproc_limit)
        os.umask(0o002)
        stage = ST_CHDIR
        if o["d"]:
            os.chdir(o["d"])
        if o["u"] >= 0:
            stage = ST_IDS
            os.setgroups([])
            os.setresgid(o["g"], o["g"], o["g"])
            os.setresuid(o["u"], o["u"], o["u"])
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != launcher_pid:
            os._exit(126)
        os.closerange(3, errw)
        os.closerange(errw + 1, 1 << 16)
        stage = ST_EXEC
        os.execvp(o["argv"][0], o["argv"])
    except Exception as e:
        os.write(errw, struct.pack("ii", stage, getattr(e, "errno", None) or errno.EINVAL))
    os._exit(127)


def main():
    """The whole launch, in launcher.c's order: options, rlimits, fork, watch, sweep, report.

    Long because it mirrors launcher.c's main step by step, so the two can be read side by side;
    this fallback only runs on a host without a C compiler."""
    prctl(PR_SET_DUMPABLE, 0)  # as launcher.c: the program must not reach our report pipe
    opts, argv = getopt.getopt(sys.argv[1:], "r:c:t:w:a:S:m:f:p:P:n:u:g:d:Ke:C")
    o = {"r": -1, "c": -1, "t": 1000, "w": 3000, "a": 0, "S": 0, "m": 0, "f": 0, "p": 64, "P": "s",
         "n": 64, "u": -1, "g": -1, "d": None, "K": False}  # fmt: skip
    for k, v in opts:
        k = k[1]
        if k == "C":  # the program's environment comes from -e only (ours may carry LD_LIBRARY_PATH)
            os.environ.clear()
            continue
        if k == "e":
            name, eq, value = v.partition("=")
            if eq:
                os.environ[name] = value
            else:
                os.environ.pop(name, None)
            continue
        o[k] = True if k == "K" else v if k in "Pd" else int(v)
    o["argv"] = argv
    report = o["r"]
    keep = {0, 1, 2, report, o["c"]}
    for fd in range(3, max(keep) + 1):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    os.closerange(max(keep) + 1, 1 << 16)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    nproc_limit = o["p"]
    if o["P"] == "s":
        nproc_limit += count_uid_tasks(o["u"] if o["u"] >= 0 else os.getuid())

    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    errr, errw = os.pipe2(os.O_CLOEXEC)
    devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    me = os.getpid()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(o, errw, nproc_limit, me)
    os.close(errw)
    os.write(report, f"pid={pid}\n".encode())
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    err = os.read(errr, 8)
    stage, err_no = struct.unpack("ii", err) if len(err) == 8 else (0, 0)

    killed, status, done, end, peak = "none", 0, False, 0.0, 0
    poller = select.poll()
    poller.register(wake_r, select.POLLIN)
    if o["c"] >= 0:
        poller.register(o["c"], select.POLLIN)
    deadline, next_sample = t0 + o["w"] / 1000, t0 + SAMPLE_S
    while not done:
        now = time.monotonic()
        if now >= deadline:
            killed = "wall"
            break
        if now >= next_sample:
            next_sample = now + SAMPLE_S
            ru = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu, rss, tasks = ru.ru_utime + ru.ru_stime, 0, 0
            for p in collect_tree():
                st = read_stat(p)
                if st:
                    cpu += st[1] / TICKS
                    rss += st[3] * PAGE_KIB
                    tasks += st[2]
            peak = max(peak, rss)
            if cpu * 1000 > o["t"]:
                killed = "cpu"
                break
            if o["m"] > 0 and rss >= o["m"]:
                killed = "rss"
                break
            if tasks > o["p"]:
                killed = "tasks"
                break
        events = poller.poll(max(0, (min(next_sample, deadline) - now) * 1000))
        if any(fd == o["c"] for fd, _ in events):
            killed = "control" if os.read(o["c"], 1) else "parent"
            break
        try:
            os.read(wake_r, 4096)
        except BlockingIOError:
            pass
        while True:
            try:
                p, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if p == 0:
                break
            if p == pid:
                status, done, end = st, True, time.monotonic()
    end = end or time.monotonic()

    while True:  # sweep: kill and reap until we have no children left
        reaped = False
        try:
            while True:
                p, st = os.waitpid(-1, os.WNOHANG)
                if p == 0:
                    break
                reaped = True
                if p == pid and not done:
                    status, done = st, True
        except ChildProcessError:
            break
        if not reaped:
            targets = collect_tree()
            if o["K"]:
                targets.append(-1)
            targets.append(-pid)
            for p in targets:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.002)

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_us = int((ru.ru_utime + ru.ru_stime) * 1e6)
    os.write(
        report,
        (
            f"status={status} cpu_us={cpu_us} maxrss_kb={ru.ru_maxrss} peak_rss_kb={peak} "
            f"wall_us={int((end - t0) * 1e6)} killed={killed} stage={stage} errno={err_no}\n"
        ).encode(),
    )


if __name__ == "__main__":
    main()
