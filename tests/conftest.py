"""Shared fixtures: the real services each suite needs, started once per test session.

The fixtures live in tests/fixtures/ (one module per service) and are loaded as plugins here. A test
that asks for a service that is missing fails with "fixture not found"; none is ever skipped.
"""

from importlib.util import find_spec

pytest_plugins = [
    name for name in ("tests.fixtures.localstack", "tests.fixtures.mariadb", "tests.fixtures.services",
                      "tests.fixtures.stack")
    if find_spec(name) is not None
]
