"""The local runtime's bootstrap puts the function's code before /var/runtime, as Lambda does: a zip's
own boto3 (tools/package_functions.py vendors it) shadows the runtime's. Run on the host with the
container's paths mapped to temporary directories: no bubblewrap, no LocalStack."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

EXECUTOR = (
    Path(__file__).resolve().parents[2] / "local/localstack/lambda_local_executor/lambda_local_executor"
)
FAKE_RIC = """import json, sys
import boto3

def main(argv):
    print(json.dumps({"boto3": boto3.__version__, "handler": argv[1], "path": sys.path}))
"""


def load_container(monkeypatch):
    spec = importlib.util.spec_from_file_location("local_container", EXECUTOR / "container.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_functions_code_comes_before_the_runtimes_boto3(tmp_path, monkeypatch):
    dirs = {
        inside: tmp_path / inside.strip("/").replace("/", "_") for inside in ("/var/task", "/var/runtime")
    }
    rapid = tmp_path / "var_rapid"
    rapid.mkdir()
    shutil.copy(
        EXECUTOR / "bootstrap.py", rapid / "bootstrap.py"
    )  # /var/rapid/bootstrap.py, as init.py runs it
    for inside, version in (("/var/task", "zip"), ("/var/runtime", "runtime")):
        (dirs[inside] / "boto3").mkdir(parents=True)
        (dirs[inside] / "boto3" / "__init__.py").write_text(f"__version__ = {version!r}\n")
    (dirs["/var/runtime"] / "awslambdaric").mkdir()
    (dirs["/var/runtime"] / "awslambdaric" / "__init__.py").write_text("")
    (dirs["/var/runtime"] / "awslambdaric" / "__main__.py").write_text(FAKE_RIC)

    container_env = load_container(monkeypatch).function_environment(
        {}, "http://127.0.0.1:4566", "127.0.0.1:9001"
    )
    env = {
        key: container_env[key]
        .replace("/var/task", str(dirs["/var/task"]))
        .replace("/var/runtime", str(dirs["/var/runtime"]))
        for key in ("PYTHONPATH", "LAMBDA_TASK_ROOT")
    }
    env["_HANDLER"] = "handler.handler"
    run = subprocess.run(
        [sys.executable, str(rapid / "bootstrap.py")], env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["boto3"] == "zip" and report["handler"] == "handler.handler"
    path = report["path"]
    assert path[0] == str(dirs["/var/task"]) and str(rapid) not in path
    assert path.index(str(dirs["/var/task"])) < path.index(str(dirs["/var/runtime"]))
