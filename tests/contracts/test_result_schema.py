import jsonschema
import pytest

from contracts.messages import CompletionMessage, MessageError
from contracts.result import validate_result_json
from judge.result import SubmissionResult, TestResult
from judge.verdict import Verdict


def _result() -> SubmissionResult:
    return SubmissionResult(
        verdict=Verdict.WRONG_ANSWER, language="cpp", time_ms=12, wall_ms=20, memory_kb=3000,
        tests=[TestResult("sample/1", "sample", Verdict.ACCEPTED, 5, 9, 2900),
               TestResult("secret/01", "secret", Verdict.WRONG_ANSWER, 12, 20, 3000, 0, None, None, "line 1")],
    )


def test_engine_result_json_validates():
    data = _result().to_json()
    validate_result_json(data)
    assert data["tests"][1]["verdict"] == "WRONG_ANSWER"


def test_schema_rejects_unknown_verdicts_and_fields():
    data = _result().to_json()
    with pytest.raises(jsonschema.ValidationError):
        validate_result_json({**data, "verdict": "PRESENTATION_ERROR"})
    with pytest.raises(jsonschema.ValidationError):
        validate_result_json({**data, "surprise": 1})


def test_judge_error_carries_a_reason():
    data = SubmissionResult(Verdict.JUDGE_ERROR, "c", reason="sandbox unavailable").to_json()
    validate_result_json(data)
    assert data["verdict"] == "JUDGE_ERROR" and data["reason"] == "sandbox unavailable"


def test_a_judged_completion_must_carry_a_result_v1_document():
    good = _result().to_json()
    assert CompletionMessage.judged("s1", 1, good).result == good
    broken = {**good, "tests": [{**good["tests"][0], "time_ms": "fast"}]}
    with pytest.raises(MessageError, match="result v1 document at tests/0/time_ms"):
        CompletionMessage.judged("s1", 1, broken)


def test_a_result_always_fits_one_queue_message():
    from contracts.messages import MAX_RESULT_BYTES

    huge = SubmissionResult(Verdict.WRONG_ANSWER, "cpp", time_ms=5, memory_kb=10, compile_output="é" * 65536,
                            tests=[TestResult(f"secret/{i}", "secret", Verdict.ACCEPTED, 1, 1, 1, feedback="ü" * 4096)
                                   for i in range(3000)]).to_json()
    message = CompletionMessage.judged("s1", 1, huge)
    assert len(message.to_json()) <= MAX_RESULT_BYTES + 1024
    kept = message.result
    assert (kept["verdict"], kept["time_ms"], kept["memory_kb"]) == ("WRONG_ANSWER", 5, 10)
    assert "of 3000 test results shown" in kept["reason"]
    validate_result_json(kept)
    small = _result().to_json()
    assert CompletionMessage.judged("s1", 1, small).result == small  # untouched when it fits


def test_the_schema_itself_is_checked_once_per_process_not_with_every_result(monkeypatch):
    from jsonschema.validators import validator_for

    from contracts import result as result_module

    validator_class = validator_for(result_module.result_schema())
    checked, check_schema = [], validator_class.check_schema
    monkeypatch.setattr(validator_class, "check_schema",
                        classmethod(lambda cls, schema: checked.append(1) or check_schema(schema)))
    result_module._result_validator.cache_clear()
    try:
        for _ in range(3):
            validate_result_json(_result().to_json())
        assert checked == [1]
    finally:
        result_module._result_validator.cache_clear()


@pytest.mark.parametrize("change", [{"verdict": "PRESENTATION_ERROR"}, {"surprise": 1}, {"time_ms": -1},
                                    {"tests": [{"name": "x"}]}])
def test_a_bad_result_is_refused_with_the_error_jsonschema_validate_picks(change):
    from contracts.result import result_schema

    data = {**_result().to_json(), **change}
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(data, result_schema())
    with pytest.raises(jsonschema.ValidationError) as refused:
        validate_result_json(data)
    assert (refused.value.message, list(refused.value.absolute_path)) == \
        (expected.value.message, list(expected.value.absolute_path))
