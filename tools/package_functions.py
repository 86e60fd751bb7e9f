"""Build build/functions/<name>.zip for every functions/<name>/ (make package), deterministically.

A zip holds, at its root: the function folder (handler.py), the whole `judge/`, `contracts/` and
`pipeline/` packages, the other first-party modules its handler reaches by import (`store` for the
worker; never `backend`), and the third-party packages those imports need, unpacked from pinned wheels
(tools/function-requirements.txt) for the Lambda runtime. Nothing comes from this host's
site-packages, and the same sources give the same zip bytes (tools/detzip.py).

    python tools/package_functions.py [--out build/functions] [NAME ...]
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detzip import Entry, excluded, tree_entries, write_zip

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
REQUIREMENTS = Path(__file__).with_name("function-requirements.txt")
WHOLE_PACKAGES = ("judge", "contracts", "pipeline")  # shipped whole (data files, imports by name)
FIRST_PARTY = ("judge", "contracts", "store", "pipeline", "backend")
# Modules the python3.12 Lambda runtime provides.
RUNTIME_PROVIDED = {
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "urllib3",
    "dateutil",
    "six",
    "awslambdaric",
}
# Import name → the distributions it needs (itself and its dependencies), pinned in REQUIREMENTS.
IMPORTS = {
    "aws_lambda_powertools": ["aws-lambda-powertools", "typing-extensions"],
    "jsonschema": [
        "jsonschema",
        "jsonschema-specifications",
        "referencing",
        "attrs",
        "rpds-py",
        "typing-extensions",
    ],
    "yaml": ["PyYAML"],
    "pymysql": ["PyMySQL"],
}
# Functions that run submissions: they ship the sandbox's C launcher prebuilt, since the Python and
# Java sandboxes have no compiler to build it with (judge/sandbox/launcher_build.py finds it there).
SHIPS_LAUNCHER = ("sandbox",)
WHEEL_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")


def read_pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[normalise(name)] = version
    return pins


def normalise(dist: str) -> str:
    return dist.lower().replace("_", "-").replace(".", "-")


# ---- which modules a handler reaches ----------------------------------------------------------


def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _optional(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside `try: ... except ImportError` (an optional import)?"""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.Try) and node in parent.body:
            for handler in parent.handlers:
                names = [handler.type] if not isinstance(handler.type, ast.Tuple) else handler.type.elts
                if any(
                    isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names
                ):
                    return True
        node = parent
    return False


def imports_of(path: Path) -> set[str]:
    """Absolute module names imported anywhere in the file (lazy imports too), except optional ones."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if _optional(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:  # relative: resolve against the file's package
                package = path.relative_to(ROOT).parent.parts
                package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join(package + tuple(node.module.split(".")))
            else:
                base = node.module
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return found


def reach(roots: list[Path]) -> tuple[set[Path], set[str]]:
    """First-party files reachable from roots, and the top-level third-party names they import."""
    files: set[Path] = set()
    third_party: set[str] = set()
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path in files:
            continue
        files.add(path)
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in FIRST_PARTY:
                parts = name.split(".")
                for i in range(1, len(parts) + 1):  # the module and every package above it
                    found = module_file(".".join(parts[:i]))
                    if found is not None:
                        todo.append(found)
            elif top not in sys.stdlib_module_names and top not in RUNTIME_PROVIDED:
                third_party.add(top)
    return files, third_party


# ---- third-party wheels -------------------------------------------------------------------


def fetch_wheel(dist: str, version: str, cache: Path) -> Path:
    key = normalise(dist).replace("-", "_")
    found = [
        w
        for w in cache.glob("*.whl")
        if normalise(w.name.split("-")[0]).replace("-", "_") == key and w.name.split("-")[1] == version
    ]
    if found:
        return found[0]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-qq",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--abi",
        "cp312",
        "--abi",
        "abi3",
        "--abi",
        "none",
        *[arg for p in WHEEL_PLATFORMS for arg in ("--platform", p)],
        "--platform",
        "any",
        "--dest",
        str(cache),
        f"{dist}=={version}",
    ]
    subprocess.run(cmd, check=True)
    return fetch_wheel(dist, version, cache)


def wheel_entries(wheel: Path) -> dict[str, Entry]:
    entries = {}
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            parts = name.split("/")
            if parts[0].endswith(".data") and len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                name = "/".join(parts[2:])  # installed at the top level, like pip would
            elif parts[0].endswith(".data"):
                continue  # scripts and headers are not importable
            if excluded(Path(name)):
                continue
            mode = (info.external_attr >> 16) & 0o777
            entries[name] = Entry(data=zf.read(info), executable=bool(mode & 0o100) or name.endswith(".so"))
    return entries


# ---- one function -------------------------------------------------------------------------


def prebuilt_launcher() -> dict[str, Entry]:
    import tempfile

    sys.path.insert(0, str(ROOT))
    from judge.sandbox import launcher_build

    with tempfile.TemporaryDirectory() as tmp:
        binary = launcher_build.build(Path(tmp))
        return {f"judge/sandbox/{binary.name}": Entry(data=binary.read_bytes(), executable=True)}


def function_entries(name: str, pins: dict[str, str], cache: Path) -> dict[str, Entry]:
    folder = FUNCTIONS / name
    entries = tree_entries(folder)
    roots = sorted(p for p in folder.rglob("*.py") if not excluded(p.relative_to(folder)))
    files, third_party = reach(roots)
    for package in WHOLE_PACKAGES:
        if (ROOT / package).is_dir():
            entries.update(tree_entries(ROOT / package, prefix=f"{package}/"))
    for path in files:
        rel = path.relative_to(ROOT)
        if rel.parts[0] != "functions":
            entries[rel.as_posix()] = Entry.from_path(path)

    unknown = sorted(third_party - IMPORTS.keys())
    if unknown:
        raise SystemExit(f"{name}: imports {', '.join(unknown)}: pin them in {REQUIREMENTS.name} and IMPORTS")
    dists = sorted({normalise(d) for top in third_party for d in IMPORTS[top]})
    for dist in dists:
        if dist not in pins:
            raise SystemExit(f"{name}: {dist} is not pinned in {REQUIREMENTS.name}")
        entries.update(wheel_entries(fetch_wheel(dist, pins[dist], cache)))
    if name in SHIPS_LAUNCHER:
        entries.update(prebuilt_launcher())
    print(
        f"{name}: {len(entries)} files; vendored: {', '.join(f'{d}=={pins[d]}' for d in dists) or 'nothing'}"
    )
    return entries


def main(argv: list[str]) -> int:
    global ROOT, FUNCTIONS  # the source tree every helper reads from (--root)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="source tree to package (default: this repository)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "functions")
    parser.add_argument("--wheel-cache", type=Path, default=ROOT / "build" / "wheels")
    parser.add_argument(
        "names", nargs="*", help="functions to build (default: every functions/<name>/ with a handler.py)"
    )
    args = parser.parse_args(argv)
    ROOT, FUNCTIONS = args.root.resolve(), args.root.resolve() / "functions"

    names = args.names or sorted(p.parent.name for p in FUNCTIONS.glob("*/handler.py"))
    if not names:
        print(f"no functions under {FUNCTIONS}: nothing to package")
        return 0
    args.wheel_cache.mkdir(parents=True, exist_ok=True)
    pins = read_pins()
    for name in names:
        if not (FUNCTIONS / name).is_dir():
            raise SystemExit(f"no such function: functions/{name}")
        out = args.out / f"{name}.zip"
        digest = write_zip(out, function_entries(name, pins, args.wheel_cache))
        print(f"{digest}  {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
