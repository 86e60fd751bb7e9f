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
import sys
import tempfile
import threading
from pathlib import Path

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.executor_endpoint import (
    ExecutorEndpoint,
    StatusErrorException,
)
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from lambda_local_executor.archive import extract_zip, merge_tree_linked

LOG = logging.getLogger(__name__)

RUNTIME_SCRIPT = Path(__file__).with_name("runtime.py")
STOP_GRACE_SECONDS = 2
LOG_TAIL_BYTES = 64 * 1024
_PREPARE_LOCK = threading.Lock()  # one extraction per layer/code dir even with concurrent creates


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
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.executor_endpoint = ExecutorEndpoint(self.id, container_address="127.0.0.1")
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.env_dir = root_dir() / "environments" / self.id
        self.log_path = self.env_dir / "runtime.log"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self.executor_endpoint.start()
        (self.env_dir / "tmp").mkdir(parents=True, exist_ok=True)
        listener = socket.create_server(("127.0.0.1", 0))
        self.executor_endpoint.container_port = listener.getsockname()[1]
        env = self._process_env(env_vars)
        env["LOCAL_LAMBDA_LISTEN_FD"] = str(listener.fileno())
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [function_python(), "-u", str(RUNTIME_SCRIPT), "init"],
                env=env,
                cwd=env["LAMBDA_TASK_ROOT"],
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
        self.executor_endpoint.wait_for_startup()

    def _watch(self) -> None:
        """If the init process dies on its own, fail whatever LocalStack is waiting for at once
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
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:
            self.executor_endpoint.shutdown()
        except Exception as e:
            LOG.debug("Error while shutting down executor endpoint %s: %s", self.id, e)
        shutil.rmtree(self.env_dir / "tmp", ignore_errors=True)

    def _process_env(self, env_vars: dict[str, str]) -> dict[str, str]:
        code = code_dir(self.function_version)
        layers = layers_dir(self.function_version)
        venv_bin = os.path.dirname(os.path.abspath(sys.executable))
        host_path = [p for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p != venv_bin]
        env = {
            "PATH": os.pathsep.join(host_path),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
        }
        if "LOCAL_LAMBDA_HIDE_EDITABLE" in os.environ:  # a stack-wide switch, read by runtime.py
            env["LOCAL_LAMBDA_HIDE_EDITABLE"] = os.environ["LOCAL_LAMBDA_HIDE_EDITABLE"]
        # LocalStack's env for the function (standard Lambda variables, then the function's own).
        env.update({key: str(value) for key, value in env_vars.items()})
        runtime = self.function_version.config.runtime or "python"
        env.update(
            {
                # Paths that are /var/task, /opt, /tmp in Lambda and are per-function dirs here.
                "LAMBDA_TASK_ROOT": str(code),
                "LAMBDA_RUNTIME_DIR": str(RUNTIME_SCRIPT.parent),
                "JUDGE_LAYER_ROOT": str(layers),
                "TMPDIR": str(self.env_dir / "tmp"),
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
                # boto3 in the function reaches LocalStack with no code change.
                "AWS_ENDPOINT_URL": f"http://{self.get_endpoint_from_executor()}:{config.GATEWAY_LISTEN[0].port}",
            }
        )
        if (layers / "bin").is_dir():
            env["PATH"] = f"{layers / 'bin'}{os.pathsep}{env['PATH']}"
        if (layers / "lib").is_dir():
            env["LD_LIBRARY_PATH"] = os.pathsep.join(
                p for p in (str(layers / "lib"), env.get("LD_LIBRARY_PATH", "")) if p
            )
        return env

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
