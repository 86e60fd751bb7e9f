"""MariaDB/MySQL access: configuration, versioned migrations, repositories, problem packages."""

from store.config import Database, DbConfig
from store.migrate import migrate

__all__ = ["Database", "DbConfig", "migrate"]
