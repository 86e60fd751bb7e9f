"""Shared fixtures: the real services each suite needs, started once per test session."""

pytest_plugins = [
    "tests.fixtures.localstack",
    "tests.fixtures.mariadb",
]
