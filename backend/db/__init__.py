"""MariaDB/MySQL access: configuration, versioned migrations, repositories, problem packages."""

from backend.db.config import Database, DbConfig
from backend.db.migrate import migrate

__all__ = ["Database", "DbConfig", "migrate"]
