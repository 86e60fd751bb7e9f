"""The dev stack: the root configuration it applies to LocalStack, and its stop (every service stops,
even when the stop of one is interrupted)."""

import json

import pytest

from local.devstack import AWS_SERVICES, TERRAFORM_DIR, DevStack, local_root_config, local_tfvars


def test_the_local_root_configuration_calls_the_module_with_a_provider_of_its_own(tmp_path):
    work = tmp_path / "terraform"
    variables = local_tfvars("127.0.0.1", 3307, "judge", "judge", "pw", tmp_path / "build", "oj")
    config = json.loads(json.dumps(local_root_config("http://127.0.0.1:4566", variables, work)))
    module = config["module"]["judge"]
    assert (work / module["source"]).resolve() == TERRAFORM_DIR.resolve()
    assert module["source"].startswith("../")  # a local module path, linked rather than copied by init
    assert module["existing_database"]["port"] == 3307 and "region" not in module
    provider = config["provider"]["aws"]
    assert provider["endpoints"] == [{service: "http://127.0.0.1:4566" for service in AWS_SERVICES}]
    assert provider["s3_use_path_style"] and provider["skip_requesting_account_id"]
    assert config["output"]["judge"]["value"] == "${module.judge}"


def test_every_service_the_module_calls_has_a_local_endpoint():
    """A resource type of a service without an endpoint would reach the real AWS from `make run`."""
    prefixes = {"cloudwatch": "cloudwatch", "cloudwatch_log": "logs", "db": "rds", "iam": "iam", "lambda": "lambda",
                "s3": "s3", "secretsmanager": "secretsmanager", "sns": "sns", "sqs": "sqs", "vpc": "ec2",
                "subnet": "ec2", "security_group": "ec2", "route": "ec2", "default": "ec2", "flow_log": "ec2",
                "region": None, "servicequotas": "servicequotas", "route53_resolver": "route53resolver",
                "availability_zones": "ec2", "prefix_list": "ec2", "iam_policy_document": None,
                "apigatewayv2": "apigatewayv2"}
    used = set()
    for tf in [*TERRAFORM_DIR.glob("*.tf"), *TERRAFORM_DIR.glob("modules/*/*.tf")]:
        for line in tf.read_text().splitlines():
            if line.startswith(("resource \"aws_", "data \"aws_")):
                kind = line.split('"')[1].removeprefix("aws_")
                service = next((s for p, s in sorted(prefixes.items(), key=lambda i: -len(i[0]))
                                if kind.startswith(p)), "unknown:" + kind)
                used.add(service)
    # Resolver, Service Quotas and API Gateway v2 are reached only with settings the local stack does
    # not use (API Gateway v2 is not in LocalStack community: api_enabled stays off, see below).
    assert used - {None, "servicequotas", "route53resolver", "apigatewayv2"} <= set(AWS_SERVICES), used


def test_the_local_stack_serves_the_api_itself_and_runs_the_consumer_as_a_thread(tmp_path):
    """No API Gateway v2 in LocalStack community: the API module stays off and uvicorn serves the same
    app; the consumer Lambda stays off too, or it would race the stack's own consumer thread (which
    the fault tests stop and start) for the completion queue."""
    variables = local_tfvars("127.0.0.1", 3307, "judge", "judge", "pw", tmp_path / "build", "oj")
    assert variables["api_enabled"] is False and variables["consumer_lambda_enabled"] is False


class Service:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error, self.stopped = error, False

    def stop(self) -> None:
        self.stopped = True
        if self.error is not None:
            raise self.error


def test_a_second_interrupt_during_the_stop_still_stops_the_database(tmp_path):
    stack = DevStack(tmp_path, problems=[])
    stack.localstack, stack.mariadb = Service(KeyboardInterrupt()), Service()
    with pytest.raises(KeyboardInterrupt):
        stack.stop()
    assert stack.localstack.stopped and stack.mariadb.stopped


def test_a_failing_stop_of_localstack_does_not_skip_the_database(tmp_path):
    stack = DevStack(tmp_path, problems=[])
    stack.localstack, stack.mariadb = Service(RuntimeError("hung")), Service()
    stack.stop()
    assert stack.mariadb.stopped


class FakeMariaDB(Service):
    def env(self):
        return {"DB_HOST": "127.0.0.1", "DB_PORT": "3399", "DB_NAME": "judge", "DB_USER": "judge",
                "DB_PASSWORD": "s3cret-pw"}


class FakeLocalStack(Service):
    def client_env(self):
        return {"AWS_ENDPOINT_URL": "http://127.0.0.1:4599", "AWS_DEFAULT_REGION": "us-east-1"}


def test_a_running_stack_leaves_its_settings_for_judge_admin_and_takes_them_away(tmp_path, monkeypatch):
    import stat

    from backend import stack_settings

    monkeypatch.setattr("local.mariadb.MariaDB", lambda **_: type("M", (), {"start": lambda self: FakeMariaDB()})())
    monkeypatch.setattr("local.stack.LocalStack", lambda *_a, **_k: type("L", (), {"start": lambda self: FakeLocalStack()})())
    for piece in ("_migrate", "_import_problems", "_start_consumer", "_start_sweeper", "_start_api"):
        monkeypatch.setattr(DevStack, piece, lambda self: None)
    monkeypatch.setattr(DevStack, "apply_terraform", lambda self: {"submissions_bucket_name": "oj-submissions-local"})
    stack = DevStack(tmp_path, problems=[]).start()
    path = stack.settings_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the database password

    env = {"JUDGE_STACK_SETTINGS": str(path)}
    assert stack_settings.apply(env) == path
    assert env["DB_PASSWORD"] == "s3cret-pw" and env["DB_PORT"] == "3399"
    assert env["PACKAGE_BUCKET"] == "oj-submissions-local" and env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    mine = {"JUDGE_STACK_SETTINGS": str(path), "DB_HOST": "db.example"}
    assert stack_settings.apply(mine) is None and "DB_PASSWORD" not in mine  # a configured database wins

    stack.stop()
    assert not path.exists()
    assert stack_settings.apply({"JUDGE_STACK_SETTINGS": str(path)}) is None
