"""The architecture, checked: packages import only below themselves, each language is declared once,
and functions stay short (or say why not)."""

from __future__ import annotations

import ast
import json
import re
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("judge", "contracts", "store", "pipeline", "functions", "backend")
# judge ← contracts ← store ← pipeline ← functions / backend: what each package may import.
ALLOWED = {
    "judge": {"judge"},
    "contracts": {"judge", "contracts"},
    "store": {"judge", "contracts", "store"},
    "pipeline": {"judge", "contracts", "store", "pipeline"},
    "functions": {"judge", "contracts", "store", "pipeline"},
    "backend": {"judge", "contracts", "store", "backend"},
}
LONG_FUNCTION_LINES = 60


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _imported_packages(path: Path) -> set[str]:
    """Top-level first-party packages a file imports, lazy imports inside functions included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in FIRST_PARTY)
    return found


@pytest.mark.parametrize("package", list(ALLOWED))
def test_no_package_imports_one_above_it(package):
    wrong = {f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}"
             for path in _sources(package) if (bad := _imported_packages(path) - ALLOWED[package])}
    assert not wrong, "\n".join(sorted(wrong))


def test_the_engine_alone_imports_nothing_of_aws_or_the_database():
    aws_or_db = re.compile(r"^\s*(import|from)\s+(boto3|botocore|pymysql|fastapi|aws_lambda_powertools)\b", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in _sources("judge") if aws_or_db.search(p.read_text())]
    assert not offenders


def test_every_list_of_languages_is_the_table():
    from backend.api.app import SubmissionRequest
    from contracts.messages import SOURCE_NAMES
    from judge.languages import LANGUAGES

    assert SOURCE_NAMES == {name: language.source_name for name, language in LANGUAGES.items()}
    api_languages = typing.get_args(SubmissionRequest.model_fields["language"].annotation)
    assert set(api_languages) == set(LANGUAGES)
    workers = json.loads((ROOT / "terraform" / "workers.json").read_text())
    served = [name for worker in workers.values() for name in worker["languages"]]
    assert sorted(served) == sorted(LANGUAGES), "every language served by exactly one worker"
    for key, worker in workers.items():
        needed = {layer for name in worker["languages"]
                  for layer in (*LANGUAGES[name].layers, *LANGUAGES[name].sandbox_only_layers)}
        assert set(worker["layers"]) == needed, f"worker {key}: layers must be its languages' toolchains"


def test_every_worker_gets_the_toolchains_of_the_validator_languages():
    """Custom validators are compiled in the worker: terraform/validator_layers.json is their layers."""
    from judge.checkers.custom_validator import _COMPILED
    from judge.languages import LANGUAGES

    validator_layers = json.loads((ROOT / "terraform" / "validator_layers.json").read_text())
    assert set(validator_layers) == {layer for name in _COMPILED for layer in LANGUAGES[name].layers}


def test_no_code_branches_on_a_language_name():
    """A language's quirks are fields of the table (main-class finder, OOM marker, memory model)."""
    branch = re.compile(r"""(language|lang)(\.name)?\s*(==|!=|in)\s*\(?["']""")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for package in FIRST_PARTY for p in _sources(package)
                 for n, line in enumerate(p.read_text().splitlines(), 1) if branch.search(line)]
    assert not offenders, offenders


def test_one_worker_code_base_deployed_per_language_group():
    handlers = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
    assert handlers == ["dispatcher", "outbox_relay", "sandbox", "sweeper", "worker"]


def test_functions_are_short_or_say_why():
    long_ones = []
    for package in (*FIRST_PARTY, "local", "tools", "bench"):
        for path in _sources(package):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                length = node.end_lineno - node.lineno + 1
                if length > LONG_FUNCTION_LINES and "Long because" not in (ast.get_docstring(node) or ""):
                    long_ones.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long_ones, "over 60 lines without 'Long because ...' in the docstring:\n" + "\n".join(long_ones)


def test_tests_mirror_the_source_folders():
    suites = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name not in ("__pycache__",)}
    sources = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    extra = suites - sources - {"e2e", "fixtures"}
    assert not extra, f"tests/ folders with no source folder of that name: {sorted(extra)}"


def _packaging():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import package_functions

    return package_functions


@pytest.mark.parametrize("name", sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py")))
def test_a_judge_function_zip_never_reaches_the_backend(name):
    """What a judge function's zip holds is its folder, the whole packages and what its imports reach."""
    pf = _packaging()
    files, _ = pf.reach(sorted((ROOT / "functions" / name).rglob("*.py")))
    assert not [p for p in files if p.relative_to(ROOT).parts[0] == "backend"]
    assert "backend" not in pf.WHOLE_PACKAGES


@pytest.mark.parametrize("name", sorted(_packaging().BACKEND_FUNCTIONS))
def test_a_backend_function_zip_holds_what_its_handler_imports_and_never_the_pipeline(name):
    pf = _packaging()
    handler = pf.module_file(pf.BACKEND_FUNCTIONS[name])
    assert handler is not None and handler.relative_to(ROOT).parts[0] == "backend"
    files, third_party = pf.reach([handler])
    assert not [p for p in files if p.relative_to(ROOT).parts[0] in ("pipeline", "functions")]
    assert "pipeline" not in pf.BACKEND_WHOLE_PACKAGES
    pins = pf.read_pins()
    unpinned = {top: d for top in third_party for d in pf.IMPORTS.get(top, ["<not in IMPORTS>"])
                if pf.normalise(d) not in pins}
    assert not unpinned, f"{name}: imports with no pinned wheel: {unpinned}"


def test_the_packaging_refuses_a_zip_whose_imports_cross_the_layering(tmp_path, monkeypatch):
    pf = _packaging()
    (tmp_path / "functions" / "leaky").mkdir(parents=True)
    (tmp_path / "functions" / "leaky" / "handler.py").write_text("from backend import intake\n")
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "__init__.py").write_text("")
    (tmp_path / "backend" / "intake.py").write_text("")
    monkeypatch.setattr(pf, "ROOT", tmp_path)
    monkeypatch.setattr(pf, "FUNCTIONS", tmp_path / "functions")
    with pytest.raises(SystemExit, match=r"leaky: its imports reach backend/ \(backend/__init__.py, backend/intake.py\)"):
        pf.function_entries("leaky", {}, tmp_path)
