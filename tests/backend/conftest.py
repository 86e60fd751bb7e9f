"""Backend fixtures: a fresh, migrated database per test on the session's MariaDB server."""

from __future__ import annotations

import itertools
import os

import pytest

from backend.db import Database, DbConfig, migrate

_counter = itertools.count()


@pytest.fixture
def db_config(mariadb) -> DbConfig:
    name = mariadb.create_database(f"t{os.getpid()}_{next(_counter)}")
    yield DbConfig(host=mariadb.host, port=mariadb.port, database=name, user=mariadb.user, password=mariadb.password)
    mariadb.drop_database(name)


@pytest.fixture
def db(db_config) -> Database:
    database = Database(db_config)
    with database.connection() as conn:
        migrate(conn)
    yield database
    database.close()
