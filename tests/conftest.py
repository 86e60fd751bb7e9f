"""Shared fixtures: the real services each suite needs, started once per test session.

The fixtures live in tests/fixtures/ (one module per service) and are loaded as plugins here. A test
that asks for a service that is missing fails with "fixture not found"; none is ever skipped.
"""

import os
from importlib.util import find_spec

import pytest

pytest_plugins = [
    name for name in ("tests.fixtures.localstack", "tests.fixtures.mariadb", "tests.fixtures.services",
                      "tests.fixtures.stack")
    if find_spec(name) is not None
]


@pytest.fixture(autouse=True)
def _environment_as_it_was():
    """What a test (or the judge-admin it calls in-process, which fills the environment from a running
    stack's settings) sets in os.environ ends with it: an AWS_ENDPOINT_URL left behind sent later
    tests' moto clients to LocalStack."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)
