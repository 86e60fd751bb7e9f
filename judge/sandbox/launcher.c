/*
 * launcher: run one program under limits, watch it, sweep its whole tree, report.
 *
 * Why a C launcher and not Python: a forked child's ru_maxrss starts from the parent's RSS
 * high-water mark (the kernel carries it across exec), so a program spawned straight from a
 * 300 MB judge would report >= 300 MB. This launcher is tiny; the program is forked from it, so
 * getrusage(RUSAGE_CHILDREN) measures the program alone.
 *
 *   launcher [options] -- argv...
 *     -r FD     report fd: "pid=N\n" after fork, one "key=value ..." line at the end
 *     -c FD     control fd: any byte = kill the tree now; EOF = our parent died, kill too
 *     -t MS     CPU time limit (polled over the whole tree; RLIMIT_CPU is the backstop)
 *     -w MS     wall time limit, counted from fork
 *     -a BYTES  RLIMIT_AS (0: none)          -S BYTES  RLIMIT_STACK
 *     -m KIB    kill when the tree's summed RSS reaches this (0: no polling)
 *     -f BYTES  RLIMIT_FSIZE                 -n N      RLIMIT_NOFILE
 *     -p N      process/thread limit; -P u: the uid is ours alone, RLIMIT_NPROC = N;
 *               -P s: the uid is shared with the judge, RLIMIT_NPROC = tasks of the uid + N
 *     -u UID -g GID   drop to these ids before exec (only when we are root)
 *     -d DIR    working directory
 *     -K        we are pid 2 of a private pid namespace: kill(-1) sweeps everything
 *     -e NAME[=VALUE]  set or unset one environment variable (undoes what bwrap adds: PWD)
 *
 *   Reuse mode (isolation.py, "bwrap" with JUDGE_SANDBOX_REUSE on): one long-lived holder per uid
 *   slot keeps a net+uts namespace and a template mount namespace built by bwrap; each run joins
 *   them and creates everything a run could leave state in afresh (see join_slot below):
 *     -J FD     pidfd of the slot's holder: setns(net, uts, mount), then unshare(mount, ipc, pid)
 *     -s BYTES  size of the run's fresh /tmp and /dev/shm tmpfs
 *     -W r|w    bind the workdir (-d) read-only or writable into the run's mount namespace
 *     -B PATH   bind PATH read-only at the same place (repeatable)
 *   The launcher then forks an intermediate that is pid 1 of the run's own pid namespace, mounts
 *   its /proc, and does everything below (so -K is implied and checked: getpid() must be 1).
 *   launcher -H: the holder itself: wait for EOF on fd 0, then exit (the namespaces go with it).
 *
 *   launcher -X: a launch server (process.py, as root). Exec is the dearest step of a run (on a
 *   virtualised host an exec costs ~0.7 ms, a fork of this tiny process ~0.1 ms), so the judge
 *   starts one server and asks it for each run instead of exec'ing a fresh launcher: fd 3 is a
 *   SOCK_SEQPACKET socket; each request is one message, the NUL-separated strings
 *   "<argc>", argv[0..argc-1] (exactly a launcher command line), then the environment, with the
 *   run's fds (stdin, stdout, stderr, report, control[, holder pidfd]) attached; the server forks,
 *   the child puts those fds at 0, 1, 2, ... and runs as if exec'd with that argv and environment,
 *   and the server answers "p <pid>" with a pidfd of it attached ("e <errno>" on failure). The
 *   server holds nothing but its socket, reaps its children, and exits at EOF (the judge closed
 *   its end, or died). Its children die with it (so a run never goes on unknown to the judge).
 *
 * The program's stdio is the launcher's fds 0/1/2; the launcher swaps its own copies for
 * /dev/null after fork so the caller sees EOF as soon as the program tree is gone.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_MS 10 /* how often the tree is inspected once the program has run this long */
#define MAX_TREE 8192

enum stage { ST_NONE, ST_RLIMIT, ST_SETSID, ST_CHDIR, ST_IDS, ST_EXEC };

static struct {
    int report_fd, control_fd;
    long cpu_ms, wall_ms, rss_kib;
    long long as_bytes, stack_bytes, fsize_bytes;
    long nproc, nofile;
    char nproc_mode;
    long uid, gid;
    const char *dir;
    int pidns;
    int join_fd;           /* -J */
    long long tmp_bytes;   /* -s */
    char workdir_mode;     /* -W: 'r' or 'w' (0: no bind) */
    const char *ro_paths[64];
    int n_ro;
    int hold;              /* -H */
    char **argv;
} o = {.join_fd = -1, .tmp_bytes = 16 << 20, .report_fd = -1, .control_fd = -1, .cpu_ms = 1000, .wall_ms = 3000, .nproc = 64,
       .nofile = 64, .nproc_mode = 's', .uid = -1, .gid = -1};

static long ticks_per_s, page_kib;
static int have_children_file = 1;

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void die(const char *what) {
    dprintf(o.report_fd >= 0 ? o.report_fd : 2, "error=%s errno=%d\n", what, errno);
    _exit(120);
}

static ssize_t read_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return n;
}

struct pstat {
    long ppid, threads, rss_pages;
    long long cpu_ticks; /* utime + stime + cutime + cstime */
};

static int read_stat(pid_t pid, struct pstat *ps) {
    char path[320], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_file(path, buf, sizeof buf) <= 0) return -1;
    char *p = strrchr(buf, ')'); /* comm may contain spaces and parens */
    if (!p) return -1;
    p += 2;
    /* fields from 3 (state) on */
    unsigned long long f[24] = {0};
    int i = 3;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok && i <= 24; tok = strtok_r(NULL, " ", &save), i++)
        f[i - 1] = strtoull(tok, NULL, 10);
    ps->ppid = (long)f[3];
    ps->cpu_ticks = (long long)(f[13] + f[14] + f[15] + f[16]);
    ps->threads = (long)f[19];
    ps->rss_pages = (long)f[23];
    return 0;
}

/* Append the children of every thread of `pid` (needs CONFIG_PROC_CHILDREN). */
static int add_children(pid_t pid, pid_t *out, int n) {
    char path[320], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d) return n;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_TREE) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/children", pid, e->d_name);
        if (read_file(path, buf, sizeof buf) < 0) {
            if (errno == ENOENT && pid == getpid()) have_children_file = 0;
            continue;
        }
        for (char *s = buf, *end; *s && n < MAX_TREE; s = end) {
            long c = strtol(s, &end, 10);
            if (end == s) break;
            out[n++] = (pid_t)c;
        }
    }
    closedir(d);
    return n;
}

/* Every live descendant of the launcher. Orphans reparent to us (we are a child subreaper),
 * so this is the whole tree, including double-forked daemons. */
static int collect_tree(pid_t *out) {
    int n = 0;
    if (have_children_file) {
        n = add_children(getpid(), out, 0);
        if (have_children_file) {
            for (int i = 0; i < n; i++) n = add_children(out[i], out, n);
            return n;
        }
    }
    /* Fallback: scan all of /proc and keep processes whose parent chain reaches us. */
    static pid_t pids[MAX_TREE], parents[MAX_TREE];
    int m = 0;
    DIR *d = opendir("/proc");
    if (!d) return 0;
    struct dirent *e;
    struct pstat ps;
    while ((e = readdir(d)) && m < MAX_TREE) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        pid_t pid = atoi(e->d_name);
        if (read_stat(pid, &ps) == 0) pids[m] = pid, parents[m++] = (pid_t)ps.ppid;
    }
    closedir(d);
    out[n++] = getpid();
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < m; i++) {
            if (!pids[i]) continue;
            for (int j = 0; j < n; j++)
                if (parents[i] == out[j]) {
                    out[n++] = pids[i];
                    pids[i] = 0;
                    changed = 1;
                    break;
                }
        }
    }
    memmove(out, out + 1, (size_t)(n - 1) * sizeof *out);
    return n - 1;
}

static pid_t child_pid;

static void kill_tree(void) {
    static pid_t tree[MAX_TREE];
    if (o.pidns) kill(-1, SIGKILL); /* everything in our pid namespace except init and us */
    if (child_pid > 0) kill(-child_pid, SIGKILL); /* its session/process group */
    int n = collect_tree(tree);
    for (int i = 0; i < n; i++) kill(tree[i], SIGKILL);
}

/* Tasks (threads) currently owned by `uid` system-wide: the base for a shared-uid RLIMIT_NPROC. */
static long count_uid_tasks(uid_t uid) {
    long total = 0;
    DIR *d = opendir("/proc");
    if (!d) return 0;
    struct dirent *e;
    char path[320];
    struct stat st;
    struct pstat ps;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (stat(path, &st) == 0 && st.st_uid == uid && read_stat(atoi(e->d_name), &ps) == 0)
            total += ps.threads;
    }
    closedir(d);
    return total;
}

static int set_limit(int resource, long long value) {
    struct rlimit cur, want;
    if (getrlimit(resource, &cur) < 0) return -1;
    rlim_t v = value < 0 ? RLIM_INFINITY : (rlim_t)value;
    if (cur.rlim_max != RLIM_INFINITY && (v == RLIM_INFINITY || v > cur.rlim_max)) v = cur.rlim_max;
    want.rlim_cur = want.rlim_max = v;
    return setrlimit(resource, &want);
}

struct child_error {
    int stage, err;
};

static pid_t launcher_pid;

static void close_from(int first) {
    if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
    for (long fd = first, max = sysconf(_SC_OPEN_MAX); fd < max; fd++) close((int)fd); /* kernel < 5.9 */
}


/* ---- reuse mode: join the slot's namespaces, then fresh mount/ipc/pid namespaces per run ---- */

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
struct jmount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

#define MAX_BINDS 65
static struct { const char *dest; int fd, is_dir, is_workdir; } binds[MAX_BINDS];
static int n_binds;
/* Mount points we created on the template's root for the workdir: removed after the run (which
 * costs an unmount, i.e. an RCU grace period, so it is only done when needed: the usual workdir
 * sits on the fresh /tmp). Mount points for -B paths (toolchains: the same paths every run) stay:
 * empty, root's, read-only to runs. */
static char *made[512];
static int n_made;

/* A detached copy of `path` (from the judge's mount namespace), read-only unless `rw`. */
static void clone_tree(const char *path, int rw, int is_workdir) {
    struct stat st;
    if (n_binds >= MAX_BINDS || stat(path, &st) < 0) die("bind source");
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
    if (fd < 0) die("open_tree");
    struct jmount_attr a = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (rw ? 0 : MOUNT_ATTR_RDONLY)};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0) die("mount_setattr");
    binds[n_binds].dest = path;
    binds[n_binds].fd = fd;
    binds[n_binds].is_workdir = is_workdir;
    binds[n_binds++].is_dir = S_ISDIR(st.st_mode);
}

/* Create the mount point `path` (and missing parents, 0755, root's) in the run's namespace. */
static void make_mount_point(const char *path, int is_dir, int record) {
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof buf || path[0] != '/') die("mount point");
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        int last = *p == 0;
        if (*p != '/' && !last) continue;
        *p = 0;
        int r = last && !is_dir ? open(buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : mkdir(buf, 0755);
        if (r >= 0) {
            if (last && !is_dir) close(r);
            /* what lands on the fresh /tmp or /dev/shm goes with them; the rest is removed */
            if (record && strncmp(buf, "/tmp/", 5) != 0 && strncmp(buf, "/dev/shm/", 9) != 0 && n_made < 512)
                made[n_made++] = strdup(buf);
        } else if (errno != EEXIST) {
            die("mkdir mount point");
        }
        if (last) break;
        *p = '/';
    }
}

static int slashes(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '/';
    return n;
}

static void mount_tmpfs(const char *where) {
    char opts[64];
    snprintf(opts, sizeof opts, "size=%lld,mode=1777", o.tmp_bytes);
    if (mount("tmpfs", where, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) die("mount tmpfs");
}

/* Runs in the launcher (host pid namespace, a root process): returns in the intermediate, pid 1 of
 * a fresh pid namespace, with a fresh mount namespace (copied from the slot's template: system
 * dirs read-only, /dev) holding a new /proc, new /tmp and /dev/shm and this run's binds only, and
 * a fresh SysV IPC namespace. The network (loopback only) and uts namespaces are the slot's own,
 * shared with earlier runs of the same slot only. The launcher waits, removes the workdir's mount
 * points if it made any on the template's root, and exits; the run's namespaces die with their
 * last process. */
static void join_slot(void) {
    if (o.workdir_mode && o.dir) clone_tree(o.dir, o.workdir_mode == 'w', 1);
    for (int i = 0; i < o.n_ro; i++) clone_tree(o.ro_paths[i], 0, 0);
    if (setns(o.join_fd, CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS) < 0) die("setns");
    close(o.join_fd);
    o.join_fd = -1;
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID) < 0) die("unshare");
    /* nothing below may propagate anywhere: private before the first mount */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make-rprivate");
    mount_tmpfs("/tmp");
    mount_tmpfs("/dev/shm");
    umask(022);
    /* parents before children, so a bind below another one is not hidden by it */
    for (int i = 1; i < n_binds; i++)
        for (int j = i; j > 0 && slashes(binds[j - 1].dest) > slashes(binds[j].dest); j--) {
            __typeof__(binds[0]) t = binds[j];
            binds[j] = binds[j - 1], binds[j - 1] = t;
        }
    for (int i = 0; i < n_binds; i++) {
        make_mount_point(binds[i].dest, binds[i].is_dir, binds[i].is_workdir);
        if (syscall(SYS_move_mount, binds[i].fd, "", AT_FDCWD, binds[i].dest, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            die("move_mount");
        close(binds[i].fd);
    }
    pid_t init = fork();
    if (init < 0) die("fork");
    if (init == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getpid() != 1) die("pid namespace"); /* kill(-1) below must only ever mean this run */
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount proc");
        o.pidns = 1;
        return;
    }
    /* the intermediate owns stdio, report and control now: the caller sees EOF when it ends */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++) dup2(devnull, fd);
    close_from(3);
    int st;
    while (waitpid(init, &st, 0) < 0 && errno == EINTR) {
    }
    if (n_made)
        for (int i = n_binds - 1; i >= 0; i--) umount2(binds[i].dest, MNT_DETACH);
    for (int i = n_made - 1; i >= 0; i--)
        if (rmdir(made[i]) < 0 && errno == ENOTDIR) unlink(made[i]);
    _exit(0);
}

/* The holder: nothing but its namespaces. Ends when the judge closes (or dies with) fd 0. */
static int hold(void) {
    close_from(3);
    signal(SIGPIPE, SIG_IGN);
    if (write(1, "R", 1) != 1) return 1; /* the namespaces are set up: runs may join */
    char buf[64];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR)) return 0;
    }
}

static void child(int errfd, long nproc_limit) {
    struct child_error ce = {ST_NONE, 0};
    sigset_t none;
    sigemptyset(&none);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL); /* the judge ignores SIGPIPE; the program must not */
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (setsid() < 0) { ce.stage = ST_SETSID; goto fail; }
    long cpu_s = (o.cpu_ms + 999) / 1000 + 1; /* backstop only: the poller is accurate */
    struct rlimit cpu = {(rlim_t)cpu_s, (rlim_t)cpu_s + 1};
    ce.stage = ST_RLIMIT;
    if (setrlimit(RLIMIT_CPU, &cpu) < 0) goto fail;
    if (o.as_bytes > 0 && set_limit(RLIMIT_AS, o.as_bytes) < 0) goto fail;
    if (o.stack_bytes > 0 && set_limit(RLIMIT_STACK, o.stack_bytes) < 0) goto fail;
    if (set_limit(RLIMIT_FSIZE, o.fsize_bytes) < 0) goto fail;
    if (set_limit(RLIMIT_NOFILE, o.nofile) < 0) goto fail;
    if (set_limit(RLIMIT_CORE, 0) < 0 || set_limit(RLIMIT_MEMLOCK, 0) < 0 || set_limit(RLIMIT_MSGQUEUE, 0) < 0)
        goto fail;
    if (set_limit(RLIMIT_NPROC, nproc_limit) < 0) goto fail;
    umask(002); /* the workdir is shared by group with the judge */
    if (o.dir && chdir(o.dir) < 0) { ce.stage = ST_CHDIR; goto fail; }
    if (o.uid >= 0) {
        ce.stage = ST_IDS;
        if (setgroups(0, NULL) < 0 || setresgid((gid_t)o.gid, (gid_t)o.gid, (gid_t)o.gid) < 0 ||
            setresuid((uid_t)o.uid, (uid_t)o.uid, (uid_t)o.uid) < 0)
            goto fail;
    }
    /* after the id change (which clears it): if the launcher dies, so does the program */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != launcher_pid) _exit(126); /* it already died */
    /* only 0/1/2 and the close-on-exec error pipe may cross exec */
    for (int fd = 3; fd < errfd; fd++) close(fd);
    close_from(errfd + 1);
    ce.stage = ST_EXEC;
    execvp(o.argv[0], o.argv);
fail:
    ce.err = errno;
    if (write(errfd, &ce, sizeof ce) < 0) _exit(125);
    _exit(127);
}

static int launch(int argc, char **argv);

#define SERVER_FD 3
#define SERVER_MAX_FDS 8
#define SERVER_MSG (1 << 16)

/* In the server's fresh child: become the launcher the request describes. Never returns. */
static void serve_one(pid_t server, char *buf, size_t len, const int *fds, int nfds) {
    static char *args[4096], *envs[4096];
    /* a server that died before its answer leaves the judge starting this run another way */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != server) _exit(126);
    int argc = 0, envc = 0;
    char *p = buf, *end = buf + len;
    long want = strtol(p, NULL, 10);
    p += strlen(p) + 1;
    while (p < end && argc < want && argc < 4095) args[argc++] = p, p += strlen(p) + 1;
    while (p < end && envc < 4095) envs[envc++] = p, p += strlen(p) + 1;
    args[argc] = envs[envc] = NULL;
    if (argc != want || argc < 1) _exit(123);
    extern char **environ;
    environ = envs;
    /* the received fds land on 0, 1, 2, ...: move them out of the way first */
    int high[SERVER_MAX_FDS];
    for (int i = 0; i < nfds; i++)
        if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 64)) < 0) _exit(124);
    for (int i = 0; i < nfds; i++)
        if (dup2(high[i], i) < 0) _exit(124);
    close_from(nfds); /* the server's socket, signalfd and the copies above */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    optind = 1;
    _exit(launch(argc, args));
}

static int serve(void) {
    if (prctl(PR_SET_DUMPABLE, 0) < 0) return 1; /* as in launch(): nothing of ours is readable */
    close_from(SERVER_FD + 1); /* whatever the judge leaked stays out of every later run */
    signal(SIGPIPE, SIG_IGN); /* a judge gone mid-answer is not our death: EOF ends us */
    if (chdir("/") < 0) return 1;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) return 1;
    static char buf[SERVER_MSG];
    for (;;) {
        struct pollfd pfd[2] = {{SERVER_FD, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (pfd[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {
            }
            while (waitpid(-1, NULL, WNOHANG) > 0) {
            }
        }
        if (!pfd[0].revents) continue;
        union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int) * SERVER_MAX_FDS)]; } control;
        struct iovec iov = {buf, sizeof buf - 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = sizeof control.space};
        ssize_t n = recvmsg(SERVER_FD, &msg, MSG_CMSG_CLOEXEC);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            break;
        }
        int fds[SERVER_MAX_FDS], nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                for (int i = 0; i < k; i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    if (nfds < SERVER_MAX_FDS) fds[nfds++] = fd;
                    else close(fd);
                }
            }
        buf[n] = 0;
        pid_t pid = -1;
        int err = EINVAL;
        if (!(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && nfds >= 5) {
            pid_t server = getpid();
            pid = fork();
            err = errno;
            if (pid == 0) serve_one(server, buf, (size_t)n, fds, nfds);
        }
        for (int i = 0; i < nfds; i++) close(fds[i]);
        char reply[64];
        int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
        if (pid > 0 && pidfd < 0) {
            err = errno; /* cannot hand it over: it must not run unwatched */
            kill(pid, SIGKILL);
            pid = -1;
        }
        int len = pid > 0 ? snprintf(reply, sizeof reply, "p %d", pid) : snprintf(reply, sizeof reply, "e %d", err);
        struct iovec riov = {reply, (size_t)len};
        struct msghdr rmsg = {.msg_iov = &riov, .msg_iovlen = 1};
        union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } rcontrol;
        if (pidfd >= 0) {
            rmsg.msg_control = rcontrol.space;
            rmsg.msg_controllen = sizeof rcontrol.space;
            struct cmsghdr *c = CMSG_FIRSTHDR(&rmsg);
            c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &pidfd, sizeof pidfd);
        }
        ssize_t sent = sendmsg(SERVER_FD, &rmsg, MSG_NOSIGNAL);
        if (pidfd >= 0) close(pidfd);
        if (sent < 0) {
            if (pid > 0) kill(pid, SIGKILL); /* nobody will watch it */
            break;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "-X") == 0) return serve();
    return launch(argc, argv);
}

static int launch(int argc, char **argv) {
    /* Non-dumpable first: in direct mode the program shares our uid, and a dumpable launcher would
     * let it open /proc/<us>/fd/3 and write its own report (or read our memory). exec resets the
     * flag, so the program itself stays an ordinary process. */
    if (prctl(PR_SET_DUMPABLE, 0) < 0) return 120;
    int opt;
    while ((opt = getopt(argc, argv, "+r:c:t:w:a:S:m:f:p:P:n:u:g:d:Ke:J:s:W:B:H")) != -1) {
        switch (opt) {
        case 'r': o.report_fd = atoi(optarg); break;
        case 'c': o.control_fd = atoi(optarg); break;
        case 't': o.cpu_ms = atol(optarg); break;
        case 'w': o.wall_ms = atol(optarg); break;
        case 'a': o.as_bytes = atoll(optarg); break;
        case 'S': o.stack_bytes = atoll(optarg); break;
        case 'm': o.rss_kib = atol(optarg); break;
        case 'f': o.fsize_bytes = atoll(optarg); break;
        case 'p': o.nproc = atol(optarg); break;
        case 'P': o.nproc_mode = optarg[0]; break;
        case 'n': o.nofile = atol(optarg); break;
        case 'u': o.uid = atol(optarg); break;
        case 'g': o.gid = atol(optarg); break;
        case 'd': o.dir = optarg; break;
        case 'K': o.pidns = 1; break;
        case 'J': o.join_fd = atoi(optarg); break;
        case 's': o.tmp_bytes = atoll(optarg); break;
        case 'W': o.workdir_mode = optarg[0] == 'w' ? 'w' : 'r'; break;
        case 'B':
            if (o.n_ro >= 64) return 121;
            o.ro_paths[o.n_ro++] = optarg;
            break;
        case 'H': o.hold = 1; break;
        case 'e': {
            char *eq = strchr(optarg, '=');
            if (eq) *eq = 0, setenv(optarg, eq + 1, 1);
            else unsetenv(optarg);
            break;
        }
        default: return 121;
        }
    }
    if (o.hold) return hold();
    if (optind >= argc || o.report_fd < 0) return 122;
    o.argv = argv + optind;
    ticks_per_s = sysconf(_SC_CLK_TCK);
    page_kib = sysconf(_SC_PAGESIZE) / 1024;

    /* keep only stdio, report, control (and the holder's pidfd): whatever else the judge leaked
     * stops here */
    int keep_max = o.report_fd > o.control_fd ? o.report_fd : o.control_fd;
    if (o.join_fd > keep_max) keep_max = o.join_fd;
    if (keep_max < 2) keep_max = 2;
    for (int fd = 3; fd < keep_max; fd++)
        if (fd != o.report_fd && fd != o.control_fd && fd != o.join_fd) close(fd);
    close_from(keep_max + 1);
    signal(SIGPIPE, SIG_IGN);
    if (o.join_fd >= 0) join_slot(); /* returns in the run's pid 1 */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("subreaper");

    long nproc_limit = o.nproc;
    if (o.nproc_mode == 's') nproc_limit += count_uid_tasks(o.uid >= 0 ? (uid_t)o.uid : getuid());

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) die("signalfd");
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) die("devnull");
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0) die("pipe");

    launcher_pid = getpid();
    long long t0 = now_us();
    child_pid = fork();
    if (child_pid < 0) die("fork");
    if (child_pid == 0) child(errpipe[1], nproc_limit);
    close(errpipe[1]);
    dprintf(o.report_fd, "pid=%d\n", child_pid);
    for (int fd = 0; fd < 3; fd++) dup2(devnull, fd);

    struct child_error ce = {0, 0};
    while (read(errpipe[0], &ce, sizeof ce) < 0 && errno == EINTR) {
    }
    close(errpipe[0]);

    const char *killed = "none";
    int status = 0, main_done = 0;
    long long end_us = 0, peak_rss_kib = 0;
    long long wall_deadline = t0 + o.wall_ms * 1000LL;
    long long next_sample = t0 + SAMPLE_MS * 1000LL;
    static pid_t tree[MAX_TREE];
    struct pollfd pfd[2] = {{sfd, POLLIN, 0}, {o.control_fd, POLLIN, 0}};
    int npfd = o.control_fd >= 0 ? 2 : 1;

    while (!main_done) {
        long long now = now_us();
        if (now >= wall_deadline) {
            killed = "wall";
            break;
        }
        if (now >= next_sample) {
            next_sample = now + SAMPLE_MS * 1000LL;
            struct rusage ru;
            getrusage(RUSAGE_CHILDREN, &ru);
            long long cpu_us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
                               ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
            long long rss_kib = 0, tasks = 0;
            int n = collect_tree(tree);
            struct pstat ps;
            for (int i = 0; i < n; i++) {
                if (read_stat(tree[i], &ps) < 0) continue;
                /* a live process's own time plus its reaped children's; reaped direct
                 * children of ours are already in RUSAGE_CHILDREN */
                cpu_us += ps.cpu_ticks * 1000000LL / ticks_per_s;
                rss_kib += ps.rss_pages * page_kib;
                tasks += ps.threads;
            }
            if (rss_kib > peak_rss_kib) peak_rss_kib = rss_kib;
            if (cpu_us > o.cpu_ms * 1000LL) { killed = "cpu"; break; }
            if (o.rss_kib > 0 && rss_kib >= o.rss_kib) { killed = "rss"; break; }
            if (tasks > o.nproc) { killed = "tasks"; break; }
        }
        long long wake = next_sample < wall_deadline ? next_sample : wall_deadline;
        int timeout = (int)((wake - now + 999) / 1000);
        if (poll(pfd, npfd, timeout < 0 ? 0 : timeout) < 0 && errno != EINTR) die("poll");
        if (npfd == 2 && pfd[1].revents) {
            char c;
            killed = read(o.control_fd, &c, 1) == 1 ? "control" : "parent";
            break;
        }
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {
            }
            for (;;) {
                int st;
                pid_t p = waitpid(-1, &st, WNOHANG);
                if (p <= 0) break;
                if (p == child_pid) {
                    status = st, main_done = 1, end_us = now_us();
                }
            }
        }
    }
    if (!end_us) end_us = now_us();

    /* Sweep: kill whatever is left (daemons included) and reap until we have no children. */
    for (;;) {
        int st, reaped = 0;
        pid_t p;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
            reaped = 1;
            if (p == child_pid && !main_done) status = st, main_done = 1;
        }
        if (p < 0 && errno == ECHILD) break;
        if (!reaped) {
            kill_tree();
            struct pollfd w = {sfd, POLLIN, 0};
            poll(&w, 1, 5);
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {
            }
        }
    }

    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    long long cpu_us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000LL +
                       ru.ru_stime.tv_usec;
    dprintf(o.report_fd, "status=%d cpu_us=%lld maxrss_kb=%ld peak_rss_kb=%lld wall_us=%lld killed=%s stage=%d errno=%d\n",
            status, cpu_us, ru.ru_maxrss, peak_rss_kib, end_us - t0, killed, ce.stage, ce.err);
    /* Every process of the run is reaped (ECHILD above): the judge may go on now rather than after
     * our exit's teardown. The report is its last open pipe of ours (0-2 are /dev/null). */
    close(o.report_fd);
    return 0;
}
