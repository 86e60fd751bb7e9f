"""The run messages and the progress message: what each end accepts and refuses, and how a shared
queue's messages are told apart."""

from __future__ import annotations

import json

import pytest

from contracts.errors import MessageError
from contracts.messages import (
    CompletionMessage,
    FailureRecord,
    ProgressMessage,
    SubmissionMessage,
    s3_code_path,
)
from contracts.runs import (
    KEPT_OUTPUT_BYTES,
    RunCompletionMessage,
    RunLimits,
    RunMessage,
    completion_queue_message,
    failure_for,
    kept_text,
    queue_message,
    run_s3_path,
)

RID, SID = "5c0e8d2a-3b7f-4e61-8a9d-2f4b6c8e0a13", "0b7f2d1c-8f0e-4a57-9a55-3c1f0e2d9b11"
RESULT = {"compiled": True, "compile_output": "", "stdout": "3\n", "stdout_truncated": False, "stderr": "",
          "stderr_truncated": False, "exit_code": 0, "signal": None, "cpu_ms": 1, "wall_ms": 2, "memory_kb": 3,
          "limit_verdict": None}


def run_message(**changes) -> dict:
    message = RunMessage(RID, "u1", "cpp", run_s3_path("bkt", RID, "Main.cpp"), run_s3_path("bkt", RID, "stdin.txt"),
                         RunLimits())
    return {**message.to_dict(), **changes}


def test_a_run_message_round_trips_and_is_told_apart_from_a_submission():
    data = run_message()
    parsed = queue_message(json.dumps(data))
    assert isinstance(parsed, RunMessage) and parsed.to_dict() == data
    assert parsed.with_dispatch(3, "m").attempt == 3
    submission = SubmissionMessage(SID, "p", "u1", "cpp", s3_code_path("bkt", SID, "cpp"))
    assert isinstance(queue_message(submission.to_json()), SubmissionMessage)


@pytest.mark.parametrize(("changes", "names"), [
    ({"s3_code_path": f"s3://bkt/submissions/{RID}/Main.cpp"}, "s3_code_path"),
    ({"s3_code_path": run_s3_path("bkt", "other", "Main.cpp")}, "is for run"),
    ({"s3_stdin_path": run_s3_path("bkt", RID, "input")}, "s3_stdin_path file"),
    ({"limits": {"cpu_time_s": 11, "memory_mib": 256, "output_mib": 1}}, "cpu_time_s"),
    ({"limits": {"cpu_time_s": 1, "memory_mib": 1.5, "output_mib": 1}}, "memory_mib"),
    ({"limits": {"cpu_time_s": 1, "memory_mib": 256}}, "output_mib"),
    ({"problem_id": "aplusb"}, "unknown field"),
    ({"language": "cobol"}, "language must be one of"),
])
def test_a_bad_run_message_is_refused_naming_the_field(changes, names):
    with pytest.raises(MessageError, match=names):
        RunMessage.from_dict(run_message(**changes))


def test_a_message_of_an_unknown_type_is_read_as_a_submission_and_refused():
    with pytest.raises(MessageError, match="submission_id"):
        queue_message(json.dumps({**run_message(), "type": "something"}))


def test_completion_queue_messages_of_every_kind():
    assert isinstance(completion_queue_message(RunCompletionMessage.done(RID, 1, RESULT).to_json()), RunCompletionMessage)
    assert isinstance(completion_queue_message(ProgressMessage.now(SID, 1, 2, 9).to_json()), ProgressMessage)
    assert isinstance(completion_queue_message(CompletionMessage.judging(SID, 1).to_json()), CompletionMessage)


@pytest.mark.parametrize(("result", "names"), [
    ({**RESULT, "stdout": "x" * (KEPT_OUTPUT_BYTES + 1)}, "stdout is over"),
    ({**RESULT, "limit_verdict": "WRONG_ANSWER"}, "limit_verdict"),
    ({**RESULT, "cpu_ms": True}, "cpu_ms"),
    ({k: v for k, v in RESULT.items() if k != "signal"}, "signal"),
])
def test_a_run_result_is_checked(result, names):
    with pytest.raises(MessageError, match=names):
        RunCompletionMessage.done(RID, 1, result)


def test_progress_cannot_claim_more_tests_than_there_are():
    with pytest.raises(MessageError, match="over tests_total"):
        ProgressMessage.now(SID, 1, 10, 9)


def test_the_failure_answer_names_whichever_kind_the_message_was():
    run_failed = failure_for(json.dumps(run_message()), "no worker")
    assert (type(run_failed), run_failed.run_id, run_failed.status) == (RunCompletionMessage, RID, "FAILED")
    assert failure_for(json.dumps({"submission_id": SID}), "bad").submission_id == SID
    assert failure_for("not json", "bad") is None and failure_for(json.dumps({"run_id": "../x", "type": "run"}), "x") is None


def test_a_failure_record_of_a_run_invocation_carries_the_run():
    record = FailureRecord.from_json({"requestContext": {"condition": "RetriesExhausted", "functionArn": "arn"},
                                      "requestPayload": run_message(dispatch={"receive_count": 2, "message_id": "m"})})
    assert isinstance(record.submission, RunMessage) and record.attempt == 2


def test_kept_text_cuts_at_the_limit_on_a_character_boundary():
    assert kept_text("é".encode() * 3, 5) == ("éé", True)
    assert kept_text(b"ok\xff", 5) == ("ok\ufffd", False)
