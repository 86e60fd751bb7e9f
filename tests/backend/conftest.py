"""Backend fixtures: a fresh, migrated database per test on the session's MariaDB server."""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass

import boto3
import pytest

from backend.db import Database, DbConfig, migrate

_counter = itertools.count()


@pytest.fixture
def db_config(mariadb) -> DbConfig:
    name = mariadb.create_database(f"t{os.getpid()}_{next(_counter)}")
    yield DbConfig(host=mariadb.host, port=mariadb.port, database=name, user=mariadb.user, password=mariadb.password)
    mariadb.drop_database(name)


@pytest.fixture
def db(db_config) -> Database:
    database = Database(db_config)
    with database.connection() as conn:
        migrate(conn)
    yield database
    database.close()


@dataclass
class Aws:
    """Clients on the session's LocalStack plus one bucket and three queues private to the test."""

    s3: object
    sqs: object
    secrets: object
    bucket: str
    submission_queue: str
    completion_queue: str
    failure_queue: str

    def receive(self, queue_url: str, n: int = 10) -> list[dict]:
        return self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=n, WaitTimeSeconds=0,
                                        AttributeNames=["All"]).get("Messages", [])

    def depth(self, queue_url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def aws(localstack) -> Aws:
    def client(service):
        return boto3.client(service, endpoint_url=localstack.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    s3, sqs = client("s3"), client("sqs")
    name = f"t-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    queues = [sqs.create_queue(QueueName=f"{name}-{q}", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
              for q in ("submissions", "completions", "failures")]
    return Aws(s3, sqs, client("secretsmanager"), name, *queues)
