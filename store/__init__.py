"""MariaDB/MySQL access: configuration, versioned migrations, repositories, problem packages, and what
keeps the submissions table moving: the outbox relay and the sweeper (shared by the API and their
scheduled functions, which is why they live below both)."""

from store.config import Database, DbConfig
from store.migrate import migrate

__all__ = ["Database", "DbConfig", "migrate"]
