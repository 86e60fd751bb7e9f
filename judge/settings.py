"""Every `JUDGE_*` environment variable, read here and nowhere else.

Read on each call (a handful of lookups), so a test or a CLI flag that sets a variable sees it;
the modules that act on a setting cache what they build from it (the isolation, the launcher, the
tool paths) and say so.

| variable | default | what |
|---|---|---|
| JUDGE_LAYER_ROOT | /opt | where Lambda layers are unpacked (`<root>/gcc/bin/g++`, `<root>/jdk/bin/java`) |
| JUDGE_CACHE_DIR | ~/.cache/judge; /tmp/judge-cache in Lambda or without HOME | built validators and the sandbox launcher |
| JUDGE_LAUNCHER | (built) | a prebuilt launcher binary, or "python" for the fallback launcher |
| JUDGE_SANDBOX_MODE | auto | auto, bwrap or direct |
| JUDGE_SANDBOX_REUSE | 1 | bwrap mode: per-slot holders instead of one bwrap per run |
| JUDGE_SANDBOX_SERVER | 1 | as root: the launch server instead of one exec per run |
| JUDGE_SANDBOX_UID, _GID | 64000 | first uid of the per-run slots, and their gid (as root) |
| JUDGE_SANDBOX_SLOTS | 256 | how many uid slots |
| JUDGE_LANGUAGES | (none) | the languages a worker or sandbox function serves, comma separated |
| JUDGE_FRESH_ENVIRONMENT | 0 | sandbox function: end the execution environment after every invocation (a cold start each) |
| JUDGE_SCRUB_TMP | on in Lambda (not root) | sandbox function, direct mode: empty the temp directory around each invocation |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SANDBOX_MODES = ("auto", "bwrap", "direct")


class SettingsError(ValueError):
    """A JUDGE_* variable holds a value the judge cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    layer_root: Path
    cache_dir: Path
    launcher: str | None
    sandbox_mode: str
    sandbox_reuse: bool
    sandbox_server: bool
    sandbox_uid: int
    sandbox_gid: int
    sandbox_slots: int
    languages: tuple[str, ...]
    scrub_tmp: bool
    fresh_environment: bool


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    return value not in ("0", "no", "false", "off")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {value!r}") from None


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """~/.cache/judge, except in Lambda: there HOME is unset and the user's home read-only, and
    only /tmp can be written (it lives as long as the execution environment: a warm cache)."""
    if env.get("AWS_LAMBDA_FUNCTION_NAME") or not env.get("HOME"):
        return Path(env.get("TMPDIR") or "/tmp") / "judge-cache"
    return Path(env["HOME"]) / ".cache" / "judge"


def current(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    mode = env.get("JUDGE_SANDBOX_MODE", "").strip().lower() or "auto"
    if mode not in SANDBOX_MODES:
        raise SettingsError(f"JUDGE_SANDBOX_MODE must be auto, bwrap or direct, not {mode!r}")
    cache_dir = env.get("JUDGE_CACHE_DIR") or str(default_cache_dir(env))
    return Settings(
        layer_root=Path(env.get("JUDGE_LAYER_ROOT") or "/opt"),
        cache_dir=Path(cache_dir),
        launcher=env.get("JUDGE_LAUNCHER") or None,
        sandbox_mode=mode,
        sandbox_reuse=_flag(env, "JUDGE_SANDBOX_REUSE", True),
        sandbox_server=_flag(env, "JUDGE_SANDBOX_SERVER", True),
        sandbox_uid=_int(env, "JUDGE_SANDBOX_UID", 64000),
        sandbox_gid=_int(env, "JUDGE_SANDBOX_GID", 64000),
        sandbox_slots=_int(env, "JUDGE_SANDBOX_SLOTS", 256),
        languages=tuple(filter(None, (name.strip() for name in env.get("JUDGE_LANGUAGES", "").split(",")))),
        # Lambda's /tmp belongs to one execution environment; elsewhere (root, or no Lambda) it may
        # be a shared host directory, so it is emptied only when asked.
        scrub_tmp=_flag(env, "JUDGE_SCRUB_TMP", bool(env.get("LAMBDA_TASK_ROOT")) and os.geteuid() != 0),
        fresh_environment=_flag(env, "JUDGE_FRESH_ENVIRONMENT", False),
    )
