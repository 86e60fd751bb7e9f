"""A worker built in Lambda's INIT phase (`pipeline.worker.prepare`, called by the entry point as it
is imported): INIT runs on a whole vCPU, the handler on the worker's share of one, so the clients,
the database connection and the result schema's check are made there, and a database not reachable
yet is not an INIT failure."""

from __future__ import annotations

import logging

import pytest
from moto import mock_aws

from contracts import result as result_module
from pipeline import worker as worker_module


@pytest.fixture(autouse=True)
def _root_handlers():
    """prepare() configures logging as a function's process does; the test session's is put back."""
    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:], logging.root.level = handlers, level


def _environment(monkeypatch, db_config) -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "SUBMISSIONS_BUCKET": "oj-submissions", "SANDBOX_FUNCTION": "oj-sandbox-cpp",
        "COMPLETION_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/oj-completion",
        "JUDGE_LANGUAGES": "cpp,c", "DB_HOST": db_config.host, "DB_PORT": str(db_config.port),
        "DB_NAME": db_config.database, "DB_USER": db_config.user, "DB_PASSWORD": db_config.password,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    monkeypatch.setattr(worker_module, "_worker", None)
    result_module._result_validator.cache_clear()


def test_the_worker_its_database_connection_and_the_result_check_are_ready_before_the_first_submission(
        monkeypatch, db_config, capfd):
    _environment(monkeypatch, db_config)
    with mock_aws():
        worker_module.prepare()
        worker_module._worker.runner._await_warm_up()
    # A sandbox environment was asked for at INIT (moto has no such function to start).
    assert "sandbox warm-up failed" in capfd.readouterr().err and "oj-sandbox-cpp" in worker_module._worker.runner.function_name
    built = worker_module._worker
    assert built is not None and built.languages == frozenset({"cpp", "c"})
    assert built.problems.store.db._idle.qsize() == 1, "no connection waits in the pool for the first submission"
    assert result_module._result_validator.cache_info().currsize == 1


def test_a_database_not_reachable_at_init_is_left_to_the_first_submission(monkeypatch, db_config, capfd):
    _environment(monkeypatch, db_config)
    monkeypatch.setenv("DB_PORT", "1")  # nothing listens there
    with mock_aws():
        worker_module.prepare()  # does not raise: the handler connects, or fails, as before
        worker_module._worker.runner._await_warm_up()
    assert worker_module._worker is not None and worker_module._worker.problems.store.db._idle.qsize() == 0
    assert "no database connection at INIT" in capfd.readouterr().err  # the function's log


def test_a_worker_whose_configuration_is_wrong_fails_its_init(monkeypatch, db_config):
    _environment(monkeypatch, db_config)
    monkeypatch.setenv("JUDGE_LANGUAGES", "")
    with mock_aws(), pytest.raises(RuntimeError, match="JUDGE_LANGUAGES"):
        worker_module.prepare()
