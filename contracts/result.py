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


def validate_result_json(data: dict) -> None:
    """Raise jsonschema.ValidationError when `data` is not a result v1 document."""
    import jsonschema

    jsonschema.validate(data, result_schema())
