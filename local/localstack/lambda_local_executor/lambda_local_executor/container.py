"""The container of one execution environment, as AWS Lambda's python3.12 lays it out.

bubblewrap (we are root) builds it from an allow-list, so nothing of the host is there unless named:
- /usr, /etc and the merged-/usr symlinks read-only, with the host's compilers and JDK hidden
  (`HIDDEN_DIRS`, `HIDDEN_TOOLS`): a function finds a toolchain only in its layers, as in Lambda;
- /var/task (the code), /opt (the layers, merged in order), /var/lang (the Python 3.12 install),
  /var/runtime (awslambdaric and boto3) and /var/rapid (the init) read-only;
- /tmp a fresh tmpfs of the function's ephemeral storage size, kept for the environment's life;
- its own pid, mount, ipc and uts namespaces, and its own network namespace when the function may
  reach nothing but what the executor relays (network.py);
- an /etc/passwd naming the function's user sbx_user1051 (gid 990 as in Lambda; the uid is one of
  the environment's own, see UID_RANGE).
The init runs as root inside it; the runtime and everything it starts run as the function's uid.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

FUNCTION_UID, FUNCTION_GID, FUNCTION_USER = 993, 990, "sbx_user1051"  # Lambda's
# Here every environment shares one kernel, and RLIMIT_NPROC counts a uid's tasks across all of
# them: with one uid for all, fifty busy environments would make each other's forks fail, which
# cannot happen in Lambda (a microVM each). So each environment gets a uid of its own from this
# range, named sbx_user1051 in its /etc/passwd; gid 990 as in Lambda.
UID_RANGE = range(40000, 50000)
RUNTIME_API = "127.0.0.1:9001"  # where Lambda serves it; a free port when the network is shared
INIT_DIR = Path(__file__).parent  # init.py, runtime_api.py, bootstrap.py: /var/rapid inside

# Compilers and JDKs of the host. Lambda's python3.12 image has none of them.
HIDDEN_DIRS = ("/usr/lib/gcc", "/usr/libexec/gcc", "/usr/lib/jvm", "/usr/include", "/usr/local",
               "/usr/lib/gcc-cross", "/usr/share/java")
HIDDEN_TOOLS = ("gcc*", "g++*", "cc", "c++", "c89*", "c99*", "cpp*", "x86_64-linux-gnu-*", "as", "ld",
                "ld.*", "gold", "java", "javac", "jar", "jshell", "jlink", "clang*", "tcc", "rustc",
                "go", "gdb", "strace", "ltrace")

# What Lambda sets for python3.12 (docs: "Defined runtime environment variables").
LAMBDA_PATH = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
LAMBDA_LD_LIBRARY_PATH = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"


SOCKETS = "/run/lambda-local/sockets"

# Variables LocalStack adds for its own runtime-init that AWS does not set.
LOCALSTACK_ONLY = {"EDGE_PORT", "AWS_LAMBDA_FUNCTION_TIMEOUT"}


@dataclass(frozen=True)
class ContainerSpec:
    code: Path
    layers: Path
    python_home: Path  # sys.base_prefix of the Python 3.12 that runs functions
    runtime: Path  # pip --target dir with awslambdaric and boto3
    control: Path  # per environment: passwd, hidden-file placeholder
    cgroup: Path | None  # the environment's memory cgroup, shown read-only to the init
    tmp_mb: int
    uid: int = FUNCTION_UID
    isolated_network: bool = False  # loopback only; the executor's relays under /run/lambda-local/sockets
    extra_binds: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (host, inside), read-only


def hidden_tools(usr_bin: str = "/usr/bin") -> list[str]:
    """The real files behind the tool names (bwrap cannot mount over a symlink; the links that
    lead to a hidden file stay, and lead nowhere usable)."""
    found: set[str] = set()
    for pattern in HIDDEN_TOOLS:
        for path in glob.glob(os.path.join(usr_bin, pattern)):
            real = os.path.realpath(path)
            if os.path.isfile(real) and real.startswith(usr_bin + "/"):
                found.add(real)
    return sorted(found)


class UidPool:
    """Hands out a uid per live environment (UID_RANGE), returned when the environment stops."""

    def __init__(self, uids: range = UID_RANGE) -> None:
        import threading

        self._free = list(reversed(uids))
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            if not self._free:
                raise RuntimeError("no free uid for another execution environment")
            return self._free.pop()

    def give_back(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)


def sockets_dir(control: Path) -> Path:
    """Where the relays' Unix sockets live on the host: a short path (a socket path has at most
    107 bytes, and the state directory can be deep), private to root."""
    import hashlib

    return Path("/tmp/lambda-local-sockets") / hashlib.sha256(str(control).encode()).hexdigest()[:16]


def write_control_files(spec: ContainerSpec) -> None:
    spec.control.mkdir(parents=True, exist_ok=True)
    (spec.control / "passwd").write_text(
        "root:x:0:0:root:/root:/sbin/nologin\n"
        f"{FUNCTION_USER}:x:{spec.uid}:{FUNCTION_GID}::/home/{FUNCTION_USER}:/sbin/nologin\n"
    )
    (spec.control / "group").write_text(f"root:x:0:\n{FUNCTION_USER}:x:{FUNCTION_GID}:\n")
    (spec.control / "hidden").write_bytes(b"")
    os.chmod(spec.control / "hidden", 0o000)


def bwrap_argv(spec: ContainerSpec, bwrap: str = "bwrap") -> list[str]:
    argv = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--hostname", "localhost"]
    if spec.isolated_network:
        argv.append("--unshare-net")
    argv += ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
             "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
             "--ro-bind", "/etc", "/etc",
             "--ro-bind", str(spec.control / "passwd"), "/etc/passwd",
             "--ro-bind", str(spec.control / "group"), "/etc/group",
             "--dev", "/dev", "--proc", "/proc"]
    for hidden in HIDDEN_DIRS:
        if os.path.isdir(hidden):
            argv += ["--tmpfs", hidden]
    for tool in hidden_tools():
        argv += ["--ro-bind", str(spec.control / "hidden"), tool]
    # Mount points bwrap creates take modes from nothing we control: make the parents 0755 first.
    argv += ["--perms", "0755", "--dir", "/var", "--perms", "0755", "--dir", "/home",
             "--perms", "0755", "--dir", "/run",
             "--ro-bind", str(spec.code), "/var/task",
             "--ro-bind", str(spec.layers), "/opt",
             "--ro-bind", str(spec.python_home), "/var/lang",
             "--ro-bind", str(spec.runtime), "/var/runtime",
             "--ro-bind", str(INIT_DIR), "/var/rapid",
             "--size", str(spec.tmp_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp"]
    # /run/lambda-local is the init's (0700 root): the cgroup's counters and the network relays.
    argv += ["--perms", "0700", "--dir", "/run/lambda-local"]
    if spec.cgroup is not None:
        argv += ["--ro-bind", str(spec.cgroup), "/run/lambda-local/cgroup"]
    if spec.isolated_network:
        argv += ["--bind", str(sockets_dir(spec.control)), SOCKETS]
    for host, inside in spec.extra_binds:
        argv += ["--ro-bind", host, inside]
    # The init's environment is the one the executor starts bwrap with (never argv: pid 1's command
    # line is readable by the function); the function's own is built by the init from a variable.
    argv += ["--chdir", "/var/task"]
    return argv


def function_environment(localstack_env: dict[str, str], endpoint_url: str, runtime_api: str) -> dict[str, str]:
    """The runtime's environment: LocalStack's Lambda variables and the function's own, the
    python3.12 runtime's paths, and nothing of the host or of LocalStack's init protocol."""
    env = {k: str(v) for k, v in localstack_env.items()
           if not k.startswith("LOCALSTACK_") and k not in LOCALSTACK_ONLY}
    env.update({
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "PATH": LAMBDA_PATH,
        "LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH,
        "PYTHONPATH": "/var/runtime",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        # Local only: boto3 reaches LocalStack with no code change (LocalStack sets it the same way).
        "AWS_ENDPOINT_URL": endpoint_url,
    })
    return env
