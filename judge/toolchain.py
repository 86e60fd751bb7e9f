"""The one place that finds a tool: a Lambda layer's copy first, then the host's PATH.

In Lambda a compiler exists only where a layer brings it (`$JUDGE_LAYER_ROOT`, `/opt` there), so the
layer wins everywhere: submissions, custom validators and the sandbox launcher's own build resolve
tools through here. Paths are cached per process (`resolve_tool.cache_clear()` after changing the
layer root). Command templates name tools in angle brackets (`<g++>`); `expand` resolves them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from judge import settings

# Where each tool lives inside a layer, relative to the layer root; the first part names the layer.
LAYER_PATHS = {"gcc": "gcc/bin/gcc", "cc": "gcc/bin/gcc", "g++": "gcc/bin/g++",
               "java": "jdk/bin/java", "javac": "jdk/bin/javac"}
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")


class ToolNotFound(RuntimeError):
    pass


def layer_of(tool: str) -> str | None:
    """The layer that provides `tool` in Lambda ("gcc", "jdk"), or None (the runtime has it)."""
    path = LAYER_PATHS.get(tool)
    return path.split("/", 1)[0] if path else None


def _interpreter() -> Path:
    # Submissions and validators run on the judge's own interpreter version, outside any virtualenv.
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return base if base.exists() else Path(sys.executable)


@cache
def resolve_tool(tool: str) -> Path:
    """Absolute path of a tool: the layer's copy when a layer provides it, else the host's."""
    found = find_tool(tool)
    if found is None:
        raise ToolNotFound(f"{tool} not found under {settings.current().layer_root} or on PATH")
    return found


def find_tool(tool: str) -> Path | None:
    if tool == "python":
        return _interpreter()
    if tool in LAYER_PATHS:
        in_layer = settings.current().layer_root / LAYER_PATHS[tool]
        if in_layer.exists():
            return in_layer
    found = shutil.which(tool)
    return Path(found) if found else None


@cache
def version_of(command: tuple[str, ...]) -> str | None:
    """The first line a tool prints when asked its version (`("<g++>", "--version")`), or None when
    the tool is missing or says nothing: what the machine that runs it really has, never a constant."""
    try:
        argv = expand(command)
        done = subprocess.run(argv, capture_output=True, timeout=30, env=tool_env([command[0].strip("<>")]))
    except (ToolNotFound, OSError, subprocess.TimeoutExpired):
        return None
    # javac and older JDKs print it on stderr, GCC and CPython on stdout.
    for line in (done.stdout + b"\n" + done.stderr).decode(errors="replace").splitlines():
        if line.strip():
            return line.strip()[:200]
    return None


def tool_roots(tools: Iterable[str]) -> tuple[Path, ...]:
    """Directories a sandboxed run must see for these tools to work (bind-mounted read-only)."""
    roots: set[Path] = set()
    for tool in tools:
        real = resolve_tool(tool).resolve()
        if tool == "python":
            roots.add(Path(sys.base_prefix).resolve())
        elif not str(real).startswith("/usr/"):
            roots.add(real.parent.parent)  # <root>/bin/tool → <root>
    return tuple(sorted(roots))


def tool_env(tools: Iterable[str]) -> dict[str, str]:
    """The environment a compile or run needs for these tools: PATH, and the interpreter's own
    library directory when it is a shared-libpython build (Lambda's /var/lang/bin/python3.12 finds
    libpython only through LD_LIBRARY_PATH=/var/lang/lib, which a program's clean environment lacks)."""
    tools = tuple(tools)
    env = {"PATH": tool_path_env(tools)}
    if "python" in tools:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        libdir = Path(sys.base_prefix) / "lib"
        if (libdir / f"libpython{version}.so.1.0").exists():
            env["LD_LIBRARY_PATH"] = str(libdir)
    return env


def tool_path_env(tools: Iterable[str]) -> str:
    """PATH for compiles and runs: the tools' directories, then the system's."""
    dirs: list[str] = []
    for tool in tools:
        parent = str(resolve_tool(tool).parent)
        if parent not in dirs:
            dirs.append(parent)
    return ":".join([*dirs, *SYSTEM_PATH])


def expand(template: Sequence[str], **values: str | Sequence[str]) -> list[str]:
    """argv from a template: `<tool>` resolved, `{name}` filled in; a part that is exactly `{name}`
    with a list value becomes several arguments (a validator's several sources)."""
    argv: list[str] = []
    for part in template:
        if part.startswith("<") and part.endswith(">"):
            argv.append(str(resolve_tool(part[1:-1])))
        elif part.startswith("{") and part.endswith("}") and isinstance(values.get(part[1:-1]), (list, tuple)):
            argv.extend(values[part[1:-1]])
        else:
            argv.append(part.format(**values))
    return argv
