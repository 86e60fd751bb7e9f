"""LocalStack runtime executor that runs each Lambda execution environment as local processes.

It replaces the Docker executor behind the same interface, so LocalStack's invoke paths (sync
invoke, async invoke with retries and destinations, event source mappings) are unchanged; only the
place where the handler runs differs. The process it starts (runtime.py) speaks the runtime-init
protocol to LocalStack's own ExecutorEndpoint, so results travel the same route as from a container.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from functools import cache
from pathlib import Path

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.aws.connect import connect_to
from localstack.services.lambda_.invocation.executor_endpoint import (
    ExecutorEndpoint,
    StatusErrorException,
)
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from lambda_local_executor import cgroups, container, network
from lambda_local_executor.archive import extract_zip, merge_tree_linked

LOG = logging.getLogger(__name__)

LOG_TAIL_BYTES = 64 * 1024
_PREPARE_LOCK = threading.Lock()  # one extraction per layer/code dir even with concurrent creates
_UIDS = container.UidPool()


def root_dir() -> Path:
    return Path(os.environ.get("LOCAL_LAMBDA_ROOT") or os.path.join(config.dirs.tmp, "lambda-local"))


def function_python() -> str:
    """The interpreter that runs handlers: the project's 3.12 (Lambda's runtime), never LocalStack's."""
    configured = os.environ.get("LOCAL_LAMBDA_PYTHON")
    if configured:
        return configured
    found = shutil.which("python3.12")
    if not found:
        raise LambdaRuntimeException(
            "No Python for functions: set LOCAL_LAMBDA_PYTHON or put python3.12 on PATH"
        )
    return found


@cache
def python_home() -> Path:
    """The Python 3.12 install (sys.base_prefix) that is /var/lang inside every environment."""
    out = subprocess.run([function_python(), "-c", "import sys; print(sys.base_prefix)"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def runtime_dir() -> Path:
    """awslambdaric and boto3 for the functions (make localstack-install): /var/runtime inside."""
    configured = os.environ.get("LOCAL_LAMBDA_RUNTIME_DIR")
    if not configured or not (Path(configured) / "awslambdaric").is_dir():
        raise LambdaRuntimeException(
            f"No Lambda runtime dir with awslambdaric at {configured!r}: run `make localstack-install`")
    return Path(configured)


def bwrap_path() -> str:
    found = shutil.which("bwrap")
    if not found:
        raise LambdaRuntimeException("bubblewrap (bwrap) is needed for local Lambda environments")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def version_dir(function_version: FunctionVersion) -> Path:
    """Per function version: code and layers can only change with a new version/revision."""
    config_ = function_version.config
    key = json.dumps(
        [
            function_version.qualified_arn,
            config_.internal_revision,
            config_.code.code_sha256 if config_.code else None,
            [layer.layer_version_arn for layer in config_.layers],
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return root_dir() / "functions" / function_version.id.function_name / digest


def code_dir(function_version: FunctionVersion) -> Path:
    code = function_version.config.code
    if code.is_hot_reloading():
        return Path(code.get_unzipped_code_location())
    return version_dir(function_version) / "code"


def layers_dir(function_version: FunctionVersion) -> Path:
    return version_dir(function_version) / "layers"


def _extract_archive(code, target: Path) -> None:
    """Fetch an S3Code archive from LocalStack's internal bucket and extract it keeping file modes."""
    with tempfile.NamedTemporaryFile(suffix=".zip", dir=root_dir()) as archive:
        # LocalStack's own download (its internal bucket and account); its unzip would lose modes.
        code._download_archive_to_file(archive)
        extract_zip(archive.name, target)


class LocalProcessRuntimeExecutor(RuntimeExecutor):
    """One execution environment: a bubblewrap container (container.py) in its own cgroup
    (cgroups.py), with the init (init.py) inside it as root and the function as its unprivileged user."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.executor_endpoint = ExecutorEndpoint(self.id, container_address="127.0.0.1")
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.env_dir = root_dir() / "environments" / self.id
        self.log_path = self.env_dir / "runtime.log"
        self.cgroup = cgroups.EnvironmentCgroup(f"{function_version.id.function_name}-{self.id}",
                                                function_version.config.memory_size or 128)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self.executor_endpoint.start()
        self.env_dir.mkdir(parents=True, exist_ok=True)
        self.cgroup.create()
        listener = socket.create_server(("127.0.0.1", 0))
        self.executor_endpoint.container_port = listener.getsockname()[1]
        config_ = self.function_version.config
        storage = config_.ephemeral_storage.size if config_.ephemeral_storage else 512
        spec = container.ContainerSpec(
            code=code_dir(self.function_version),
            layers=layers_dir(self.function_version),
            python_home=python_home(),
            runtime=runtime_dir(),
            control=self.env_dir / "control",
            cgroup=self.cgroup.memory,
            tmp_mb=storage,
            uid=self._take_uid(),
            isolated_network=self.network_mode() == network.S3_ONLY,
        )
        container.write_control_files(spec)
        init_env = self._init_env(spec, env_vars, listener.fileno())
        if spec.isolated_network:
            init_env.update(self._start_relays(spec, env_vars["LOCALSTACK_RUNTIME_ENDPOINT"]))
        # The shell joins the environment's cgroups before it becomes bubblewrap, so every process
        # of the environment (init, runtime, whatever the handler starts) is counted from the start.
        join = 'for f in $LOCAL_LAMBDA_CGROUP_PROCS; do echo $$ > "$f"; done; unset LOCAL_LAMBDA_CGROUP_PROCS; exec "$@"'
        init_env["LOCAL_LAMBDA_CGROUP_PROCS"] = " ".join(str(p) for p in self.cgroup.procs_files())
        argv = ["/bin/sh", "-c", join, "sh", *container.bwrap_argv(spec, bwrap_path()),
                "/var/lang/bin/python3.12", "-u", "/var/rapid/init.py"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                env=init_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
                start_new_session=True,  # stop() and LocalStack's shutdown kill the whole group
            )
        listener.close()
        LOG.debug(
            "Started local Lambda environment %s (pid %s) for %s",
            self.id,
            self.process.pid,
            self.function_version.qualified_arn,
        )
        threading.Thread(target=self._watch, name=f"lambda-local-{self.id}", daemon=True).start()
        self.executor_endpoint.wait_for_startup()  # the init phase is over: the runtime is ready
        self.cgroup.end_init()

    def _init_env(self, spec: container.ContainerSpec, env_vars: dict[str, str], listen_fd: int) -> dict[str, str]:
        """The init's own environment (never seen by the function, which gets the JSON inside)."""
        runtime_api = container.RUNTIME_API if spec.isolated_network else f"127.0.0.1:{_free_port()}"
        timeout = env_vars.get("AWS_LAMBDA_FUNCTION_TIMEOUT", self.function_version.config.timeout)
        return {
            "PATH": container.LAMBDA_PATH,
            "LD_LIBRARY_PATH": "/var/lang/lib",
            "LANG": "C.UTF-8",
            "LOCAL_LAMBDA_ENDPOINT": env_vars["LOCALSTACK_RUNTIME_ENDPOINT"],
            "LOCALSTACK_RUNTIME_ID": env_vars["LOCALSTACK_RUNTIME_ID"],
            "LOCAL_LAMBDA_LISTEN_FD": str(listen_fd),
            "LOCAL_LAMBDA_TIMEOUT": str(timeout),
            "LOCAL_LAMBDA_UID": str(spec.uid),
            "LOCAL_LAMBDA_GID": str(container.FUNCTION_GID),
            "LOCAL_LAMBDA_FUNCTION_ENV": json.dumps(
                container.function_environment(env_vars, self._endpoint_url(), runtime_api)),
        }

    def _take_uid(self) -> int:
        self.uid = _UIDS.take()
        return self.uid

    def network_mode(self) -> str:
        """What the function's security groups let it reach (network.py)."""
        vpc = self.function_version.config.vpc_config
        if not vpc or not vpc.security_group_ids:
            return network.SHARED
        ec2 = connect_to(region_name=self.function_version.id.region,
                         aws_access_key_id=self.function_version.id.account).ec2
        groups = ec2.describe_security_groups(GroupIds=vpc.security_group_ids)["SecurityGroups"]
        return network.mode_for(groups)

    def _start_relays(self, spec: container.ContainerSpec, endpoint: str) -> dict[str, str]:
        sockets = container.sockets_dir(spec.control)
        sockets.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        sockets.mkdir(mode=0o700, exist_ok=True)
        host, port = self.get_endpoint_from_executor(), config.GATEWAY_LISTEN[0].port
        self.relays = [network.UnixRelay(sockets / "endpoint.sock", network.to_tcp(host, port)),
                       network.UnixRelay(sockets / "s3.sock", network.presigned_s3_only(host, port))]
        return {"LOCAL_LAMBDA_ENDPOINT_SOCKET": f"{container.SOCKETS}/endpoint.sock",
                "LOCAL_LAMBDA_FORWARD": f"{host}:{port}={container.SOCKETS}/s3.sock"}

    def _endpoint_url(self) -> str:
        return f"http://{self.get_endpoint_from_executor()}:{config.GATEWAY_LISTEN[0].port}"

    def _watch(self) -> None:
        """If the container dies on its own, fail whatever LocalStack is waiting for at once
        (otherwise a sync invoke would hang until LocalStack's 905 s safety timeout)."""
        code = self.process.wait()
        if self.stopping.is_set():
            return
        payload = json.dumps(
            {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"Execution environment process exited with code {code}",
                "logTail": self.get_logs()[-4000:],
            }
        ).encode()
        endpoint = self.executor_endpoint
        if endpoint.startup_future and not endpoint.startup_future.done():
            endpoint.startup_future.set_exception(StatusErrorException("Environment startup failed", payload))
        future = endpoint.invocation_future
        if future and not future.done():
            future.set_result(InvocationResult("", payload, is_error=True, logs=None))

    def stop(self) -> None:
        self.stopping.set()
        if self.process and self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()
        try:
            self.executor_endpoint.shutdown()
        except Exception as e:
            LOG.debug("Error while shutting down executor endpoint %s: %s", self.id, e)
        for relay in getattr(self, "relays", []):
            relay.close()
        self.cgroup.destroy()
        if getattr(self, "uid", None) is not None:
            _UIDS.give_back(self.uid)  # every process of it is gone with the cgroup
            self.uid = None
        shutil.rmtree(container.sockets_dir(self.env_dir / "control"), ignore_errors=True)
        shutil.rmtree(self.env_dir / "control", ignore_errors=True)

    # -- addresses -------------------------------------------------------------------------------

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        host = config.GATEWAY_LISTEN[0].host
        return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host

    def get_runtime_endpoint(self) -> str:
        return (
            f"http://{self.get_endpoint_from_executor()}:{config.GATEWAY_LISTEN[0].port}"
            f"{self.executor_endpoint.get_endpoint_prefix()}"
        )

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        return self.executor_endpoint.invoke(payload)

    def get_logs(self) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - LOG_TAIL_BYTES))
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- versions --------------------------------------------------------------------------------

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        """Extract code and layers once per version (at create/update, not at invoke). Deliberately
        not calling get_runtime_client_path(): that downloads the runtime-init binary we replace."""
        config_ = function_version.config
        if config_.package_type != PackageType.Zip or not config_.code:
            raise LambdaRuntimeException("The local executor runs zip functions only (no container images)")
        if not (config_.runtime or "").startswith("python"):
            raise LambdaRuntimeException(
                f"The local executor runs Python functions only, not runtime {config_.runtime}"
            )
        function_python()  # fail the function (state Failed with a reason) if there is no interpreter
        root_dir().mkdir(parents=True, exist_ok=True)
        with _PREPARE_LOCK:
            code = code_dir(function_version)
            if not config_.code.is_hot_reloading() and not code.exists():
                _extract_archive(config_.code, code)
            layers = layers_dir(function_version)
            if not layers.exists():
                layers.parent.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=".layers-", dir=layers.parent))
                for layer in config_.layers:
                    merge_tree_linked(cls._layer_cache(layer), staging)
                os.chmod(staging, 0o755)  # /opt: readable by the function's uid
                os.replace(staging, layers)

    @staticmethod
    def _layer_cache(layer) -> Path:
        if layer.code.is_hot_reloading():
            return Path(layer.code.get_unzipped_code_location())
        cached = root_dir() / "layers" / layer.code.code_sha256.replace("/", "_")
        if not cached.exists():
            _extract_archive(layer.code, cached)
        return cached

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        shutil.rmtree(version_dir(function_version), ignore_errors=True)

    @classmethod
    def validate_environment(cls) -> bool:
        try:
            python = function_python()
            runtime_dir()
            bwrap_path()
            if not cgroups.available():
                raise LambdaRuntimeException("local Lambda environments need root and the cgroup v1 memory controller")
        except LambdaRuntimeException as e:
            LOG.warning("%s", e)
            return False
        LOG.info("Lambda functions run as local processes with %s", python)
        return True


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
