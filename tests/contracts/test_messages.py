"""The message contracts: what each hop accepts, and the clear error for what it must refuse."""

import json

import pytest

from contracts.messages import (
    CompletionMessage,
    FailureRecord,
    MessageError,
    SubmissionMessage,
    s3_code_path,
)
from judge.result import SubmissionResult
from judge.verdict import Verdict

SID = "0b7f2d1c-8f0e-4a57-9a55-3c1f0e2d9b11"


def submission(**over):
    d = {
        "version": 1,
        "submission_id": SID,
        "problem_id": "hello",
        "user_id": "u-1",
        "language": "cpp",
        "s3_code_path": f"s3://oj-submissions/submissions/{SID}/Main.cpp",
    }
    d.update(over)
    return d


def completion(**over):
    d = {
        "version": 1,
        "submission_id": SID,
        "attempt": 1,
        "status": "JUDGED",
        "result": SubmissionResult(Verdict.ACCEPTED, "cpp").to_json(),
        "reason": None,
        "produced_at": "2026-01-02T03:04:05.123Z",
    }
    d.update(over)
    return d


def test_submission_round_trip_is_exact():
    msg = SubmissionMessage.from_json(json.dumps(submission()))
    assert json.loads(msg.to_json()) == submission()
    assert msg.bucket == "oj-submissions"
    assert msg.key == f"submissions/{SID}/Main.cpp"
    assert msg.attempt == 0


def test_submission_with_dispatch():
    msg = SubmissionMessage.from_dict(submission(dispatch={"receive_count": 3, "message_id": "m-1"}))
    assert msg.attempt == 3
    again = SubmissionMessage.from_json(msg.to_json())
    assert again == msg
    assert SubmissionMessage.from_dict(submission()).with_dispatch(2, "m").to_dict()["dispatch"] == {
        "receive_count": 2, "message_id": "m"}


def test_a_resent_submission_numbers_its_runs_after_the_attempts_before_it():
    first = SubmissionMessage.from_dict(submission())
    assert "prior_attempts" not in first.to_dict()  # what intake sends is unchanged
    resent = first.resent_after(4)
    assert resent.to_dict() == {**submission(), "prior_attempts": 4}
    dispatched = SubmissionMessage.from_json(resent.with_dispatch(1, "m").to_json())
    assert (dispatched.prior_attempts, dispatched.attempt) == (4, 5)
    with pytest.raises(MessageError, match="prior_attempts"):
        SubmissionMessage.from_dict(submission(prior_attempts=-1))


def test_s3_code_path_helper_matches_contract():
    assert s3_code_path("b-1", SID, "java") == f"s3://b-1/submissions/{SID}/Main.java"
    assert s3_code_path("b-1", SID, "python").endswith("/Main.py")
    assert s3_code_path("b-1", SID, "c").endswith("/Main.c")


@pytest.mark.parametrize(
    "over, fragment",
    [
        ({"version": 2}, "version"),
        ({"version": True}, "version"),
        ({"submission_id": ""}, "submission_id"),
        ({"submission_id": 5}, "submission_id"),
        ({"submission_id": "../etc"}, "submission_id"),
        ({"problem_id": None}, "problem_id"),
        ({"language": "rust"}, "language must be one of"),
        # `$` would match before a trailing newline; MySQL's PAD SPACE would match a trailing space
        ({"problem_id": "hello\n"}, "problem_id"),
        ({"problem_id": "hello "}, "problem_id"),
        ({"user_id": "u-1\n"}, "user_id"),
        ({"s3_code_path": "https://x/y"}, "s3_code_path"),
        ({"s3_code_path": "s3://oj-submissions/submissions/other/Main.cpp"}, "not"),
        ({"s3_code_path": f"s3://oj-submissions/submissions/{SID}/Main.py"}, "Main.cpp"),
        ({"s3_code_path": f"s3://Bad_Bucket/submissions/{SID}/Main.cpp"}, "s3_code_path"),
        ({"extra": 1}, "unknown field"),
        ({"dispatch": {"receive_count": 0, "message_id": "m"}}, "receive_count"),
        ({"dispatch": {"receive_count": "1", "message_id": "m"}}, "receive_count"),
        ({"dispatch": "x"}, "dispatch"),
    ],
)
def test_submission_rejects(over, fragment):
    with pytest.raises(MessageError, match=fragment):
        SubmissionMessage.from_dict(submission(**over))


def test_submission_missing_field_and_garbage():
    d = submission()
    del d["user_id"]
    with pytest.raises(MessageError, match="missing field.*user_id"):
        SubmissionMessage.from_dict(d)
    with pytest.raises(MessageError, match="not JSON"):
        SubmissionMessage.from_json("{nope")
    with pytest.raises(MessageError, match="not JSON"):
        SubmissionMessage.from_json(b"\xff\xfe\x00")
    with pytest.raises(MessageError, match="JSON object"):
        SubmissionMessage.from_json("[1]")


def test_constructing_an_invalid_message_fails_at_the_sender():
    with pytest.raises(MessageError):
        SubmissionMessage(SID, "p", "u", "cobol", f"s3://b-1/submissions/{SID}/Main.cob")


def test_completion_round_trip():
    msg = CompletionMessage.from_json(json.dumps(completion()))
    assert json.loads(msg.to_json()) == completion()
    failed = CompletionMessage.failed(SID, 2, "sandbox timed out")
    again = CompletionMessage.from_json(failed.to_json())
    assert (again.status, again.attempt, again.reason, again.result) == ("FAILED", 2, "sandbox timed out", None)
    assert again.produced_at.endswith("Z")


@pytest.mark.parametrize(
    "over, fragment",
    [
        ({"version": 0}, "version"),
        ({"attempt": -1}, "attempt"),
        ({"attempt": True}, "attempt"),
        ({"attempt": 1.5}, "attempt"),
        ({"status": "DONE"}, "status"),
        ({"result": None}, "result object"),
        ({"result": {**completion()["result"], "verdict": "PERFECT"}}, "verdict"),
        ({"status": "FAILED", "result": None, "reason": ""}, "reason"),
        ({"status": "FAILED", "reason": "x"}, "no result"),
        ({"produced_at": "yesterday"}, "ISO-8601"),
        ({"produced_at": "2026-01-02T03:04:05"}, "UTC"),
        ({"produced_at": "2026-01-02T03:04:05+02:00"}, "UTC"),
        ({"more": 1}, "unknown field"),
    ],
)
def test_completion_rejects(over, fragment):
    with pytest.raises(MessageError, match=fragment):
        CompletionMessage.from_dict(completion(**over))


def failure_record(**over):
    d = {
        "version": "1.0",
        "timestamp": "2026-01-02T03:04:05.000Z",
        "requestContext": {
            "requestId": "r-1",
            "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:oj-worker_cpp:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": submission(dispatch={"receive_count": 2, "message_id": "m-9"}),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Task timed out after 900.00 seconds", "errorType": "Sandbox.Timedout"},
    }
    d.update(over)
    return d


def test_failure_record_parses_reason_and_attempt():
    rec = FailureRecord.from_json(json.dumps(failure_record()))
    assert rec.submission.submission_id == SID
    assert rec.attempt == 2
    assert "RetriesExhausted" in rec.reason
    assert "oj-worker_cpp" in rec.reason
    assert "Task timed out" in rec.reason
    assert "after 3 invocation" in rec.reason


def test_failure_record_event_age_without_response():
    d = failure_record(requestContext={"condition": "EventAgeExceeded", "functionArn": "", "requestId": "r"})
    del d["responsePayload"]
    rec = FailureRecord.from_json(d)
    assert rec.reason == "worker gave up: EventAgeExceeded"
    assert rec.error_message is None


@pytest.mark.parametrize(
    "over, fragment",
    [
        ({"requestContext": None}, "requestContext"),
        ({"requestContext": {"requestId": "r"}}, "condition"),
        ({"requestPayload": None}, "requestPayload"),
        ({"requestPayload": {"hello": 1}}, "requestPayload"),
    ],
)
def test_failure_record_rejects(over, fragment):
    with pytest.raises(MessageError, match=fragment):
        FailureRecord.from_json(failure_record(**over))


def test_judging_progress_message_carries_nothing_else():
    msg = CompletionMessage.judging("sub-1", 3)
    again = CompletionMessage.from_json(msg.to_json())
    assert (again.status, again.attempt, again.result, again.reason) == ("JUDGING", 3, None, None)
    with pytest.raises(MessageError, match="JUDGING message has no result"):
        CompletionMessage.from_dict({**msg.to_dict(), "reason": "why"})
