"""Build build/functions/<name>.zip for every functions/<name>/ and every backend function (make
package), deterministically.

A judge function's zip holds, at its root: the function folder (handler.py), the whole `judge/`,
`contracts/` and `pipeline/` packages, the other first-party modules its handler reaches by import
(`store` for the worker; never `backend`). A backend function's zip (BACKEND_FUNCTIONS: the intake API
behind API Gateway, the completion consumer behind SQS) holds its handler module under `backend/`, the
whole `judge/` and `contracts/`, the first-party modules it reaches (`backend`, `store`; never
`pipeline`). Both carry the third-party packages those imports need, unpacked from pinned wheels
(tools/function-requirements.txt) for the Lambda runtime, boto3 and botocore included: a zip runs
against its own pinned SDK, never the one AWS updates in the runtime. Nothing comes from this host's
site-packages, and the same sources give the same zip bytes (tools/detzip.py).

Size: worker_cpp (worker.zip + the GCC layer) sits close to Lambda's 250 MB unzipped limit, so a zip
keeps botocore's and boto3's models of the AWS services its code creates clients for (AWS_SERVICES,
checked against the code by a static scan) and drops the files of UNUSED.

    python tools/package_functions.py [--out build/functions] [NAME ...]
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import importlib.util
import marshal
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detzip import Entry, excluded, tree_entries, write_zip

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
REQUIREMENTS = Path(__file__).with_name("function-requirements.txt")
WHOLE_PACKAGES = ("judge", "contracts", "pipeline")  # shipped whole (data files, imports by name)
# Backend functions: zip name → its handler module (Terraform's `handler` is <module>.handler). They
# ship judge/ and contracts/ whole (the schema's data files), never pipeline/; judge functions never
# ship backend/ (tests/test_architecture.py opens the zips).
BACKEND_FUNCTIONS = {
    "backend_api": "backend.api.lambda_entry",
    "backend_consumer": "backend.consumer_lambda_entry",
}
BACKEND_WHOLE_PACKAGES = ("judge", "contracts")
# What each kind of zip may never reach by import.
NEVER_SHIPPED = {"function": "backend", "backend": "pipeline"}
FIRST_PARTY = ("judge", "contracts", "store", "pipeline", "backend")
# Modules the python3.12 Lambda runtime provides and no zip ships. Not its boto3: that one changes
# when AWS updates the runtime, so the SDK is pinned and vendored like any other package.
RUNTIME_PROVIDED = {"awslambdaric"}
BOTOCORE = ["botocore", "jmespath", "python-dateutil", "six", "urllib3"]
# Import name → the distributions it needs (itself and its dependencies), pinned in REQUIREMENTS.
IMPORTS = {
    "boto3": ["boto3", "s3transfer", *BOTOCORE],
    "botocore": BOTOCORE,
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
    # The intake API (backend_api): FastAPI and what it imports unconditionally.
    "fastapi": [
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic-core",
        "annotated-types",
        "annotated-doc",
        "typing-inspection",
        "typing-extensions",
        "anyio",
        "idna",
        "opentelemetry-api",
    ],
    "starlette": ["starlette", "anyio", "idna", "typing-extensions"],
    "pydantic": ["pydantic", "pydantic-core", "annotated-types", "typing-inspection", "typing-extensions"],
    "mangum": ["mangum", "typing-extensions"],
}
# The AWS services each function's code creates clients for (boto3.client("...")): its zip keeps
# botocore/data/<service>/ and boto3/data/<service>/ of these and no other (botocore's ~20 MB of
# models would not fit worker_cpp under the limit). A function whose code reaches boto3 must be
# here; packaging fails, and so does tests/tools/test_package_functions.py, when its code creates a
# client for a service not listed (client_services scans the first-party files it reaches).
AWS_SERVICES = {
    "dispatcher": ("lambda", "sqs"),
    "worker": ("lambda", "s3", "secretsmanager", "sqs"),
    "outbox_relay": ("secretsmanager", "sqs"),
    "sweeper": ("secretsmanager", "sqs"),
    "backend_api": ("s3", "secretsmanager", "sqs"),
    "backend_consumer": ("secretsmanager", "sqs"),
}
SERVICE_DATA = ("botocore/data/", "boto3/data/")  # <service>/... under these; their own files are kept
# Files of vendored wheels no function uses, dropped for size: fnmatch pattern on the archive name →
# why nothing needs it (tests/tools/test_package_functions.py checks the code still does not).
UNUSED = {
    "yaml/_yaml.cpython-*.so": "libyaml's bindings, only behind yaml.CLoader/CDumper; the judge parses "
    "with yaml.safe_load (PyYAML's pure-Python SafeLoader), and yaml imports without them",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.*": "the Swagger UI that Powertools' "
    "REST event handler serves; no function uses the event handler",
}
# Functions that run submissions: they ship the sandbox's C launcher prebuilt, since the Python and
# Java sandboxes have no compiler to build it with (judge/sandbox/launcher_build.py finds it there).
SHIPS_LAUNCHER = ("sandbox",)
# The Lambda runtime's Python, for which every zip carries its modules compiled (bytecode_entries).
RUNTIME_PYTHON = (3, 12)
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


def client_services(files: set[Path]) -> dict[str, set[str]]:
    """AWS service → the files creating a client (or resource) for it: every `X.client("name")` or
    `X.resource("name")` call (service_name= too). A call whose service is not a string literal is
    reported under "?" (its service cannot be kept by name)."""
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("client", "resource")
            ):
                continue
            args = node.args[:1] + [k.value for k in node.keywords if k.arg == "service_name"]
            if not args:
                continue
            service = (
                args[0].value if isinstance(args[0], ast.Constant) and isinstance(args[0].value, str) else "?"
            )
            found.setdefault(service, set()).add(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def check_services(name: str, files: set[Path], third_party: set[str]) -> tuple[str, ...] | None:
    """The services function `name` keeps (None: it ships no AWS SDK); exits naming the calls of a
    service AWS_SERVICES does not keep."""
    if not third_party & {"boto3", "botocore"}:
        return None
    if name not in AWS_SERVICES:
        raise SystemExit(f"{name}: its code imports boto3: list the services it uses in AWS_SERVICES")
    missing = {s: where for s, where in client_services(files).items() if s not in AWS_SERVICES[name]}
    if missing:
        calls = "; ".join(f"{s} ({', '.join(sorted(w))})" for s, w in sorted(missing.items()))
        raise SystemExit(f"{name}: creates clients for services AWS_SERVICES does not keep: {calls}")
    return AWS_SERVICES[name]


def kept(archive_name: str, services: tuple[str, ...] | None) -> bool:
    """Whether a vendored file goes into the zip: not UNUSED, and no model of a service not kept."""
    if any(fnmatch.fnmatchcase(archive_name, pattern) for pattern in UNUSED):
        return False
    for data in SERVICE_DATA:
        if archive_name.startswith(data):
            rest = archive_name[len(data) :].split("/")
            return len(rest) == 1 or (services is not None and rest[0] in services)
    return True


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


def handler_roots(name: str) -> tuple[dict[str, Entry], list[Path], tuple[str, ...]]:
    """A function's own files (archive name → entry), the files its imports are followed from, and
    the packages it ships whole."""
    if name in BACKEND_FUNCTIONS:
        handler = module_file(BACKEND_FUNCTIONS[name])
        if handler is None:
            raise SystemExit(f"{name}: no module {BACKEND_FUNCTIONS[name]}")
        return {}, [handler], BACKEND_WHOLE_PACKAGES
    folder = FUNCTIONS / name
    if not folder.is_dir():
        raise SystemExit(f"no such function: functions/{name}")
    roots = sorted(p for p in folder.rglob("*.py") if not excluded(p.relative_to(folder)))
    return tree_entries(folder), roots, WHOLE_PACKAGES


def function_entries(name: str, pins: dict[str, str], cache: Path) -> dict[str, Entry]:
    entries, roots, whole = handler_roots(name)
    files, third_party = reach(roots)
    never = NEVER_SHIPPED["backend" if name in BACKEND_FUNCTIONS else "function"]
    crossing = sorted(str(p.relative_to(ROOT)) for p in files if p.relative_to(ROOT).parts[0] == never)
    if crossing:
        raise SystemExit(f"{name}: its imports reach {never}/ ({', '.join(crossing)}), which it may not ship")
    for package in whole:
        if (ROOT / package).is_dir():
            entries.update(tree_entries(ROOT / package, prefix=f"{package}/"))
    for path in files:
        rel = path.relative_to(ROOT)
        if rel.parts[0] != "functions":
            entries[rel.as_posix()] = Entry.from_path(path)

    unknown = sorted(third_party - IMPORTS.keys())
    if unknown:
        raise SystemExit(f"{name}: imports {', '.join(unknown)}: pin them in {REQUIREMENTS.name} and IMPORTS")
    services = check_services(name, files, third_party)
    dists = sorted({normalise(d) for top in third_party for d in IMPORTS[top]})
    for dist in dists:
        if dist not in pins:
            raise SystemExit(f"{name}: {dist} is not pinned in {REQUIREMENTS.name}")
        wheel = wheel_entries(fetch_wheel(dist, pins[dist], cache))
        shipped = {n: e for n, e in wheel.items() if kept(n, services)}
        if len(shipped) < len(wheel):  # its RECORD would list files that are not there
            shipped = {n: e for n, e in shipped.items() if not n.endswith(".dist-info/RECORD")}
        entries.update(shipped)
    if name in SHIPS_LAUNCHER:
        entries.update(prebuilt_launcher())
    entries.update(bytecode_entries(entries))
    print(
        f"{name}: {len(entries)} files; vendored: {', '.join(f'{d}=={pins[d]}' for d in dists) or 'nothing'}"
        + (f"; AWS services: {', '.join(services)}" if services else "")
    )
    return entries


def bytecode_entries(entries: dict[str, Entry]) -> dict[str, Entry]:
    """Every module of the zip compiled for the runtime's Python, where it looks first
    (`<dir>/__pycache__/<name>.cpython-312.pyc`), as a pyc it uses without reading its source again
    (PEP 552, unchecked hash: the zip never changes under it). /var/task is read-only in Lambda, so
    without these every cold start compiles every module it imports from source: 0.4 s of the
    worker's 0.7 s of CPU before its first request here, three times that at 512 MB."""
    if sys.version_info[:2] != RUNTIME_PYTHON:
        raise SystemExit(f"package with Python {'.'.join(map(str, RUNTIME_PYTHON))}, the Lambda runtime's: "
                         f"its bytecode is what the zips carry (this is {sys.version.split()[0]})")
    compiled: dict[str, Entry] = {}
    for name, entry in entries.items():
        if not name.endswith(".py") or entry.symlink is not None:
            continue
        path = PurePosixPath(name)
        try:
            code = compile(entry.data, name, "exec", dont_inherit=True)
        except SyntaxError:  # a file no import can load either (a template in a wheel)
            continue
        pyc = bytearray(importlib.util.MAGIC_NUMBER)
        pyc += (0b01).to_bytes(4, "little")  # hash-based, unchecked
        pyc += importlib.util.source_hash(entry.data) + marshal.dumps(code)
        cache = path.parent / "__pycache__" / f"{path.stem}.{sys.implementation.cache_tag}.pyc"
        compiled[cache.as_posix()] = Entry(data=bytes(pyc))
    return compiled


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
        "names",
        nargs="*",
        help="functions to build (default: every functions/<name>/ with a handler.py, and BACKEND_FUNCTIONS)",
    )
    args = parser.parse_args(argv)
    ROOT, FUNCTIONS = args.root.resolve(), args.root.resolve() / "functions"

    names = args.names or [
        *sorted(p.parent.name for p in FUNCTIONS.glob("*/handler.py")),
        *(name for name, module in BACKEND_FUNCTIONS.items() if module_file(module) is not None),
    ]
    if not names:
        print(f"no functions under {FUNCTIONS}: nothing to package")
        return 0
    args.wheel_cache.mkdir(parents=True, exist_ok=True)
    pins = read_pins()
    for name in names:
        out = args.out / f"{name}.zip"
        digest = write_zip(out, function_entries(name, pins, args.wheel_cache))
        print(f"{digest}  {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
