"""tools/package_functions.py: a zip that imports boto3 carries its own pinned SDK with the models of
the AWS services its code creates clients for, and nothing else of botocore/data; the code creating a
client for a service not kept fails the packaging (and this test) before any deployment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import package_functions as pf  # noqa: E402

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
ALL_FUNCTIONS = [*FUNCTIONS, *sorted(pf.BACKEND_FUNCTIONS)]
REMOVED = ("dynamodb", "sts")  # services no function's code uses: their models are not shipped


def reached(name: str) -> tuple[set[Path], set[str]]:
    if name in pf.BACKEND_FUNCTIONS:
        return pf.reach([pf.module_file(pf.BACKEND_FUNCTIONS[name])])
    folder = ROOT / "functions" / name
    return pf.reach(sorted(folder.rglob("*.py")))


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_the_kept_services_are_exactly_those_the_code_creates_clients_for(name):
    files, third_party = reached(name)
    calls = pf.client_services(files)
    if not third_party & {"boto3", "botocore"}:  # the sandbox: no SDK, no client
        assert name not in pf.AWS_SERVICES and not calls, calls
        return
    assert "?" not in calls, f"a client whose service is not a literal: {calls['?']}"
    assert set(calls) == set(pf.AWS_SERVICES[name]), (
        f"{name}: the code creates clients for {sorted(calls)}, AWS_SERVICES keeps {pf.AWS_SERVICES[name]}"
    )


def test_the_sandbox_ships_no_sdk():
    assert not reached("sandbox")[1] & {"boto3", "botocore"}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_function_uses_what_unused_drops(name):
    files, third_party = reached(name)
    assert "aws_lambda_powertools" not in third_party or not any(
        "event_handler" in n for p in files for n in pf.imports_of(p)
    )
    libyaml = re.compile(r"\bC(Base|Safe|Full|Unsafe)?(Loader|Dumper|Parser|Emitter)\b")
    assert not [p for p in files if libyaml.search(p.read_text())], "yaml's C bindings are not shipped"


def test_a_client_for_a_service_not_kept_or_not_named_fails_the_packaging(tmp_path, monkeypatch):
    monkeypatch.setattr(pf, "ROOT", tmp_path)
    code = tmp_path / "pipeline" / "extra.py"
    code.parent.mkdir()
    code.write_text('import boto3\n\nsqs = boto3.client("sqs")\ntable = boto3.resource("dynamodb")\n')
    with pytest.raises(SystemExit, match=r"dynamodb \(pipeline/extra.py:4\)"):
        pf.check_services("worker", {code}, {"boto3"})
    code.write_text("import boto3\n\nname = 'sqs'\nclient = boto3.Session().client(service_name=name)\n")
    with pytest.raises(SystemExit, match=r"\? \(pipeline/extra.py:4\)"):
        pf.check_services("worker", {code}, {"boto3"})
    with pytest.raises(SystemExit, match="AWS_SERVICES"):
        pf.check_services("sandbox", {code}, {"botocore"})
    code.write_text('import boto3\n\nsqs = boto3.client("sqs")\n')
    assert pf.check_services("worker", {code}, {"boto3"}) == pf.AWS_SERVICES["worker"]


def test_only_the_kept_services_models_and_botocores_own_files_are_shipped():
    services = ("s3", "sqs")
    assert pf.kept("botocore/data/endpoints.json", services)
    assert pf.kept("botocore/data/sdk-default-configuration.json", None)
    assert pf.kept("botocore/data/s3/2006-03-01/endpoint-rule-set-1.json.gz", services)
    assert pf.kept("boto3/data/sqs/2012-11-05/resources-1.json", services)
    assert not pf.kept("botocore/data/dynamodb/2012-08-10/service-2.json.gz", services)
    assert not pf.kept("boto3/data/dynamodb/2012-08-10/resources-1.json", services)
    assert not pf.kept("yaml/_yaml.cpython-312-x86_64-linux-gnu.so", None)
    assert pf.kept("yaml/cyaml.py", None) and pf.kept("botocore/client.py", services)


# ---- the built zips, run with nothing but themselves on sys.path --------------------------------

PROBE = r"""
import json, os, socket, sys
sys.path.insert(0, sys.argv[1])
import importlib._bootstrap_external as bootstrap

compiled = []  # modules compiled from source on import: none, when the zip carries their bytecode
source_to_code = bootstrap.SourceLoader.source_to_code

def recording(self, data, path, *args, **kwargs):
    compiled.append(str(path))
    return source_to_code(self, data, path, *args, **kwargs)

bootstrap.SourceLoader.source_to_code = recording

def no_network(*args, **kwargs):
    raise AssertionError("network access")

socket.socket.connect = socket.socket.connect_ex = no_network
import boto3, botocore, botocore.exceptions

class Sent(Exception):
    pass

def stop(request, **kwargs):
    raise Sent(request.url)

OPERATIONS = {"lambda": "list_functions", "s3": "list_buckets", "secretsmanager": "list_secrets",
              "sqs": "list_queues"}
report = {"boto3": [boto3.__version__, boto3.__file__], "botocore": [botocore.__version__, botocore.__file__],
          "requests": {}, "removed": {}}
for service in json.loads(sys.argv[2]):
    client = boto3.client(service)
    client.meta.events.register("before-send", stop)
    try:
        getattr(client, OPERATIONS[service])()
    except Sent as sent:
        report["requests"][service] = str(sent)
for service in json.loads(sys.argv[3]):
    try:
        boto3.client(service)
        report["removed"][service] = "created"
    except botocore.exceptions.UnknownServiceError:
        report["removed"][service] = "UnknownServiceError"
if os.path.isdir(os.path.join(sys.argv[1], "yaml")):  # the worker's, without libyaml's bindings
    import yaml
    report["yaml"] = yaml.safe_load("a: [1, 2]")
__import__(sys.argv[4])  # the handler's own modules import with what the zip ships
report["compiled"] = [path for path in compiled if path.startswith(sys.argv[1])]
print(json.dumps(report))
"""
HANDLER_MODULES = {"dispatcher": "pipeline.dispatcher", "worker": "pipeline.worker", "outbox_relay": "store.outbox",
                   "sweeper": "store.sweeper", "backend_api": "backend.api.app",
                   "backend_consumer": "backend.consumer_batch"}  # the entries build from the environment


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("functions")
    names = sorted(pf.AWS_SERVICES)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools/package_functions.py"),
            "--out",
            str(out),
            "--wheel-cache",
            str(ROOT / "build/wheels"),
            *names,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    for name in names:
        with zipfile.ZipFile(out / f"{name}.zip") as zf:
            zf.extractall(out / name)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(pf.AWS_SERVICES))
def test_the_zip_runs_its_own_pinned_sdk_offline_with_only_the_kept_services(built, name):
    code = built / name
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    kept = pf.AWS_SERVICES[name]
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            PROBE,
            str(code),
            json.dumps(kept),
            json.dumps(REMOVED),
            HANDLER_MODULES[name],
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=code,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    pins = pf.read_pins()
    for dist in ("boto3", "botocore"):
        version, path = report[dist]
        assert version == pins[dist] and Path(path).is_relative_to(code), report[dist]
    assert report["requests"] == {
        s: f"https://{s}.eu-west-1.amazonaws.com{p}"
        for s, p in {"lambda": "/2015-03-31/functions", "s3": "/", "secretsmanager": "/", "sqs": "/"}.items()
        if s in kept
    }
    assert report["removed"] == dict.fromkeys(REMOVED, "UnknownServiceError")
    assert report.get("yaml", {"a": [1, 2]}) == {"a": [1, 2]}
    models = {p.name for p in (code / "botocore" / "data").iterdir() if p.is_dir()}
    assert models == set(kept)
    # /var/task is read-only in Lambda: a module without its bytecode in the zip is compiled from
    # source at every cold start (bytecode_entries).
    assert report["compiled"] == [], report["compiled"]


def test_terraform_deploys_each_backend_zip_with_its_handler():
    """The handler Terraform names is the module the zip was built from (a typo would deploy a function
    that fails every cold start with Runtime.ImportModuleError)."""
    terraform = ROOT / "terraform"
    text = "\n".join(tf.read_text() for tf in [*terraform.glob("*.tf"), *terraform.glob("modules/api/*.tf")])
    for name, module in pf.BACKEND_FUNCTIONS.items():
        assert f"functions/{name}.zip" in text, name
        assert f'"{module}.handler"' in text, module
