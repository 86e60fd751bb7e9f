"""The whole system on one machine: LocalStack (with the local Lambda executor), a throwaway MariaDB,
`terraform apply` of the real root module into LocalStack, the example problems imported, the intake
API on loopback (with its outbox relay thread), the completion consumer and the sweeper (a thread here,
as well as the scheduled function Terraform deploys). `make run` and the end-to-end tests both use it.

    python -m local.devstack run [--port 8080] [--state-dir .state/devstack]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from backend import stack_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
TERRAFORM_DIR = REPO_ROOT / "terraform"
PROBLEMS_DIR = REPO_ROOT / "problems"
log = logging.getLogger("devstack")
LOCAL_RATE_LIMIT = "1000/60"


SWEEP_INTERVAL_S = 30.0
LOCAL_WORKER_RETRIES = 2


class DevStackError(RuntimeError):
    pass


# Every AWS service the root module's resources and data sources call.
AWS_SERVICES = ("cloudwatch", "ec2", "events", "iam", "lambda", "logs", "rds", "s3", "secretsmanager", "sns", "sqs",
                "sts")


def local_tfvars(db_host: str, db_port: int, db_name: str, db_user: str, db_password: str, build_dir: Path,
                 name_prefix: str) -> dict:
    """The variables that point the production root module at the local MariaDB. Only what LocalStack
    community cannot provide is switched off (RDS, VPC endpoints, X-Ray, API Gateway v2)."""
    return {
        "name_prefix": name_prefix,
        "build_dir": str(build_dir),
        "create_database": False,
        "existing_database": {"host": db_host, "port": db_port, "name": db_name, "cidr_block": "127.0.0.1/32"},
        "database_credentials": {"username": db_user, "password": db_password},
        "availability_zones": ["us-east-1a", "us-east-1b"],
        "create_vpc_endpoints": False,
        "vpc_internet_egress": True,  # LocalStack's "VPC" is this host's network
        "enable_flow_logs": False,
        "tracing_enabled": False,
        "create_alarms": True,
        # LocalStack community has no API Gateway v2: the stack serves the same app with uvicorn, and
        # drains the completion queue with its own consumer thread (which the fault tests stop).
        "api_enabled": False,
        "consumer_lambda_enabled": False,
        # Short enough for tests to see retries and redrives; the rules (6x) still hold.
        "worker_max_retry_attempts": LOCAL_WORKER_RETRIES,
        "submissions_bucket_name": f"{name_prefix}-submissions-local",
    }


def local_root_config(endpoint_url: str, variables: dict, work_dir: Path) -> dict:
    """A root configuration (Terraform's JSON syntax) that calls the production module as any caller
    would, with a provider of its own pointed at LocalStack: the module itself configures no provider."""
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "~> 5.60"}}},
        "provider": {"aws": {
            "region": "us-east-1",
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": True,
            "s3_use_path_style": True,
            "endpoints": [{service: endpoint_url for service in AWS_SERVICES}],
        }},
        "module": {"judge": {"source": os.path.relpath(TERRAFORM_DIR, work_dir), **variables}},
        # Every output of the module, under one name (some are secret, so the whole object is).
        "output": {"judge": {"value": "${module.judge}", "sensitive": True}},
    }


class DevStack:
    def __init__(self, state_dir: Path, api_port: int = 8080, name_prefix: str = "oj",
                 problems: list[Path] | None = None, localstack_port: int | None = None):
        self.state_dir = state_dir.resolve()
        self.api_port = api_port
        self.name_prefix = name_prefix
        self.problems = problems if problems is not None else sorted(p for p in PROBLEMS_DIR.iterdir()
                                                                     if (p / "problem.yaml").exists())
        self.localstack_port = localstack_port
        self.localstack = None
        self.mariadb = None
        self.db = None
        self.outputs: dict = {}
        self.demo_token: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._api_server = None
        self._consumer: threading.Thread | None = None
        self._consumer_stop = threading.Event()

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> DevStack:
        from local.mariadb import MariaDB
        from local.stack import LocalStack

        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            started = time.monotonic()
            self.localstack = LocalStack(self.state_dir / "localstack", port=self.localstack_port).start()
            self.mariadb = MariaDB(base_dir=self.state_dir / "mariadb").start()
            log.info("LocalStack and MariaDB up in %.1f s", time.monotonic() - started)
            self._migrate()
            self.outputs = self.apply_terraform()
            log.info("terraform applied in %.1f s total", time.monotonic() - started)
            self._import_problems()
            self._start_consumer()
            self._start_sweeper()
            self._start_api()
            stack_settings.write(self.settings_path, self.backend_env())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stop.set()
        self.settings_path.unlink(missing_ok=True)  # judge-admin must not find a stack that is gone
        if self._api_server is not None:
            self._api_server.should_exit = True
        self.stop_consumer()
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()
        if self.db is not None:
            self.db.close()
        # A second Ctrl-C while LocalStack winds down must not leave MariaDB running: each service
        # is stopped whatever happened to the one before, and the interrupt is raised after.
        interrupted: BaseException | None = None
        for service in (self.localstack, self.mariadb):
            if service is None:
                continue
            try:
                service.stop()
            except BaseException as error:  # KeyboardInterrupt included
                interrupted = interrupted or error
                if not isinstance(error, KeyboardInterrupt):
                    logging.getLogger(__name__).exception("stopping %s failed", type(service).__name__)
        if isinstance(interrupted, KeyboardInterrupt):
            raise interrupted

    def __enter__(self) -> DevStack:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    # ---- pieces ------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def settings_path(self) -> Path:
        return self.state_dir / stack_settings.FILE_NAME

    def backend_env(self) -> dict[str, str]:
        """What the backend's commands need to work on this stack (judge-admin reads it from
        `settings_path`): its database, its package bucket, its LocalStack."""
        return {**self.db_env(), **self.aws_env(), "PACKAGE_BUCKET": self.outputs["submissions_bucket_name"]}

    def aws_env(self) -> dict[str, str]:
        return self.localstack.client_env()

    def client(self, service: str):
        return self.localstack.client(service)

    def db_env(self) -> dict[str, str]:
        return self.mariadb.env()

    def _migrate(self) -> None:
        from store.config import Database, DbConfig
        from store.migrate import migrate

        self.db = Database(DbConfig.from_env(self.db_env()))
        with self.db.connection() as conn:
            migrate(conn)

    def apply_terraform(self) -> dict:
        terraform = shutil.which("terraform")
        if terraform is None:
            raise DevStackError("terraform is not on PATH")
        work = self.state_dir / "terraform"
        work.mkdir(parents=True, exist_ok=True)
        variables = local_tfvars(self.mariadb.host, self.mariadb.port, self.mariadb.database, self.mariadb.user,
                                 self.mariadb.password, REPO_ROOT / "build", self.name_prefix)
        config = local_root_config(self.localstack.endpoint_url, variables, work)
        (work / "main.tf.json").write_text(json.dumps(config, indent=2))
        env = {**os.environ, **self.aws_env(), "TF_DATA_DIR": str(work / "data"), "TF_IN_AUTOMATION": "1",
               "TF_INPUT": "0"}
        self._terraform(work, env, "init", "-input=false", "-no-color")
        self._terraform(work, env, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=8")
        out = self._terraform(work, env, "output", "-json", "-no-color")
        return json.loads(out)["judge"]["value"]

    def _terraform(self, work: Path, env: dict, *args: str) -> str:
        log_path = work / f"{args[0]}.log"
        result = subprocess.run(["terraform", f"-chdir={work}", *args], env=env, capture_output=True, text=True)
        log_path.write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise DevStackError(f"terraform {args[0]} failed (log {log_path}):\n{(result.stdout + result.stderr)[-4000:]}")
        return result.stdout

    def _import_problems(self) -> None:
        from backend import admin
        from store.packages import PackageBucket

        # Into the deployment's bucket, as in AWS: the workers fetch packages/<sha256>.tar.gz from it.
        packages = PackageBucket(self.client("s3"), self.outputs["submissions_bucket_name"])
        for package in self.problems:
            imported = admin.import_problem(self.db, package, problem_id=package.name, packages=packages)
            log.info("imported problem %s (%s)", package.name, imported.package_sha256[:12])
        _, self.demo_token = admin.create_user(self.db, f"demo-{int(time.time() * 1000)}")

    def _start_consumer(self) -> None:
        from backend.consumer import Consumer

        consumer = Consumer(self.db, self.client("sqs"), **self.consumer_queues())
        self._consumer_stop = threading.Event()
        self._consumer = threading.Thread(target=consumer.run_forever, args=(self._consumer_stop,), name="consumer",
                                          daemon=True)
        self._consumer.start()

    def consumer_queues(self) -> dict[str, str]:
        """The queues the consumer drains, as Consumer's keyword arguments."""
        return {"completion_queue_url": self.outputs["completion_queue_url"],
                "failure_queue_url": self.outputs["worker_failure_queue_url"],
                "dlq_url": self.outputs["submission_dlq_url"],
                "completion_dlq_url": self.outputs["completion_dlq_url"]}

    def stop_consumer(self) -> None:
        """Stop the consumer thread (it ends within its long poll); the fault tests run their own."""
        if self._consumer is not None:
            self._consumer_stop.set()
            self._consumer.join(timeout=30)
            self._consumer = None

    def start_consumer(self) -> None:
        if self._consumer is None:
            self._start_consumer()

    def _start_sweeper(self) -> None:
        from store.outbox import OutboxRelay
        from store.sweeper import Sweeper, SweepPolicy

        policy = SweepPolicy(worker_retries=LOCAL_WORKER_RETRIES)  # the workers' timeout is the module's default
        relay = OutboxRelay(self.db, self.client("sqs"), self.outputs["submission_queue_url"])
        sweeper = Sweeper(self.db, relay, policy)
        thread = threading.Thread(target=sweeper.run_forever, args=(self._stop, SWEEP_INTERVAL_S), name="sweeper",
                                  daemon=True)
        thread.start()
        self._threads.append(thread)

    def _start_api(self) -> None:
        import uvicorn

        from backend.api.app import ApiConfig, create_app
        from backend.quota import QuotaConfig

        # The demo and the end-to-end tests send hundreds of submissions as one user: a local stack
        # allows that much unless SUBMISSION_RATE_LIMIT says otherwise.
        quota = QuotaConfig.from_env({"SUBMISSION_RATE_LIMIT": os.environ.get("SUBMISSION_RATE_LIMIT") or LOCAL_RATE_LIMIT,
                                      "RUN_RATE_LIMIT": os.environ.get("RUN_RATE_LIMIT") or LOCAL_RATE_LIMIT})
        app = create_app(ApiConfig(self.outputs["submissions_bucket_name"], self.outputs["submission_queue_url"]),
                         db=self.db, s3=self.client("s3"), sqs=self.client("sqs"), quota=quota)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.api_port, log_level="warning")
        self._api_server = uvicorn.Server(config)
        thread = threading.Thread(target=self._api_server.run, name="api", daemon=True)
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + 20
        while not self._api_server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise DevStackError(f"the API did not start on {self.api_url} (port in use?)")
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".state" / "devstack")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    shutil.rmtree(args.state_dir, ignore_errors=True)  # a throwaway stack: every run starts clean
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stack = DevStack(args.state_dir, args.port).start()  # stops what it started if it fails
    except KeyboardInterrupt:
        print("interrupted while starting; stopped", file=sys.stderr)
        return 130
    except Exception as error:
        print(f"devstack: could not start: {error}", file=sys.stderr)
        return 1
    try:
        (args.state_dir / "ready.json").write_text(json.dumps({"api_url": stack.api_url, "token": stack.demo_token}))
        print(f"READY: API {stack.api_url}  (docs {stack.api_url}/docs)  demo token: {stack.demo_token}", flush=True)
        print("  in another terminal: make demo", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping ...", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
