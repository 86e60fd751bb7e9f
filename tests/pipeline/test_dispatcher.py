"""Dispatcher routing rules, against recording clients; the real path is covered end to end."""

import json

import pytest

from contracts.messages import CompletionMessage, SubmissionMessage, s3_code_path
from pipeline.dispatcher import Dispatcher, handle


class Recorder:
    def __init__(self, fail_for: str | None = None):
        self.calls, self.fail_for = [], fail_for

    def invoke(self, **kwargs):
        if kwargs["FunctionName"] == self.fail_for:
            raise RuntimeError("TooManyRequestsException")
        self.calls.append(kwargs)

    def send_message(self, **kwargs):
        self.calls.append(kwargs)


def _record(body: str, message_id: str = "m-1", receive_count: int = 1) -> dict:
    return {"messageId": message_id, "receiptHandle": "r", "body": body, "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:submissions",
            "attributes": {"ApproximateReceiveCount": str(receive_count)}, "messageAttributes": {}}


def _message(submission_id="s-1", language="cpp") -> str:
    return SubmissionMessage(submission_id, "aplusb", "u-1", language,
                             s3_code_path("bucket-1", submission_id, language)).to_json()


@pytest.fixture
def clients():
    return Recorder(fail_for="oj-worker-java"), Recorder()


def _dispatcher(clients):
    workers = {"python": "oj-worker-python", "cpp": "oj-worker-cpp", "c": "oj-worker-cpp", "java": "oj-worker-java"}
    return Dispatcher(clients[0], clients[1], workers, "https://queue/completion")


def test_valid_message_invokes_its_worker_asynchronously_with_dispatch_info(clients):
    response = handle({"Records": [_record(_message(), receive_count=2)]}, None, _dispatcher(clients))
    assert response == {"batchItemFailures": []}
    [call] = clients[0].calls
    assert call["FunctionName"] == "oj-worker-cpp" and call["InvocationType"] == "Event"
    event = SubmissionMessage.from_json(call["Payload"])
    assert event.dispatch.receive_count == 2 and event.dispatch.message_id == "m-1"


def test_malformed_message_fails_its_submission_and_is_not_retried(clients):
    body = json.dumps({"version": 1, "submission_id": "s-9", "language": "cpp"})
    response = handle({"Records": [_record(body)]}, None, _dispatcher(clients))
    assert response == {"batchItemFailures": []}
    [sent] = clients[1].calls
    failed = CompletionMessage.from_json(sent["MessageBody"])
    assert failed.submission_id == "s-9" and failed.status == "FAILED" and "missing field" in failed.reason


def test_garbage_is_dropped_without_an_answer(clients):
    response = handle({"Records": [_record("not json")]}, None, _dispatcher(clients))
    assert response == {"batchItemFailures": []} and clients[1].calls == []


def test_unreachable_worker_is_a_batch_item_failure_for_that_record_only(clients):
    records = [_record(_message("s-1", "java"), "m-1"), _record(_message("s-2", "python"), "m-2")]
    response = handle({"Records": records}, None, _dispatcher(clients))
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert [c["FunctionName"] for c in clients[0].calls] == ["oj-worker-python"]
