"""The result v1 document (`schema/result-v1.json`): what `judge run --json` prints, the workers
publish inside a JUDGED completion and the consumer stores. Checked at the boundary that receives it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("schema") / "result-v1.json"


@cache
def result_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


@cache
def _result_validator():
    """The schema checked against its meta-schema once per process, not once per document as
    `jsonschema.validate` does (three quarters of a result's check: 30 ms of a worker's CPU)."""
    from jsonschema.validators import validator_for

    schema = result_schema()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def prepare_result_check() -> None:
    """Check the schema itself now (a worker's INIT phase) rather than in the first result's check."""
    _result_validator()


def validate_result_json(data: dict) -> None:
    """Raise jsonschema.ValidationError when `data` is not a result v1 document (the most relevant
    error, as `jsonschema.validate` picks it)."""
    from jsonschema.exceptions import best_match

    error = best_match(_result_validator().iter_errors(data))
    if error is not None:
        raise error
