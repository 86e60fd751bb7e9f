"""The settings a running local stack (`make run`) leaves for the backend's commands: where its
database is and with which password, its package bucket, its LocalStack endpoint. `judge-admin`
reads them when no database is configured, so a setter can import a problem into the running
stack without finding any of it by hand.

The stack (local/devstack.py) writes `<state dir>/backend.env.json` (owner-only: it holds the
database password) when it is up and removes it when it stops. `JUDGE_STACK_SETTINGS` names another
file; the default is the one `make run` writes, `.state/devstack/backend.env.json` in this checkout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parents[1] / ".state" / "devstack" / "backend.env.json"
FILE_NAME = DEFAULT_PATH.name
# Any of these set: the caller configured a database of its own, and a local stack is not looked for.
DATABASE_VARIABLES = ("DB_SECRET_ARN", "DB_HOST")


def write(path: Path, settings: Mapping[str, str]) -> None:
    """Write the settings readable by their owner only (created so: never world-readable meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(dict(settings), out, indent=2, sort_keys=True)


def settings_path(env: Mapping[str, str]) -> Path:
    return Path(env["JUDGE_STACK_SETTINGS"]) if env.get("JUDGE_STACK_SETTINGS") else DEFAULT_PATH


def apply(env: MutableMapping[str, str] | None = None) -> Path | None:
    """With no database configured in `env`, fill it from a running stack's settings (variables set
    already win); the file used, or None when none applies."""
    env = os.environ if env is None else env
    if any(env.get(variable) for variable in DATABASE_VARIABLES):
        return None
    path = settings_path(env)
    try:
        settings = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise RuntimeError(f"{path}: not the JSON a local stack writes ({error})") from None
    for name, value in settings.items():
        env.setdefault(name, str(value))
    return path
