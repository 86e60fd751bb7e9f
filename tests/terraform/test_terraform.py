"""Terraform and packaging checks, run through the Makefile targets so that the test runner reports
them: fmt, validate (root, modules, example), `terraform test` (mocked provider), the mocked plan of
examples/complete, and the determinism of `make package`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform CLI not installed")


def test_no_module_configures_a_provider() -> None:
    """A module with a provider block cannot be called with count/for_each or another provider; only the
    example (a root configuration) configures one."""
    modules = [ROOT / "terraform", *sorted((ROOT / "terraform" / "modules").iterdir())]
    found = [f"{tf.relative_to(ROOT)}:{n}" for module in modules for tf in sorted(module.glob("*.tf"))
             for n, line in enumerate(tf.read_text().splitlines(), 1) if line.startswith("provider ")]
    assert found == []
    assert 'provider "aws"' in (ROOT / "terraform" / "examples" / "complete" / "main.tf").read_text()


def make(target: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, (
        f"exit {done.returncode}\n--- stdout\n{done.stdout[-20000:]}\n--- stderr\n{done.stderr[-20000:]}"
    )


def test_fmt() -> None:
    assert_ok(make("tf-fmt"))


def test_readme_tables_match_the_variables() -> None:
    assert_ok(make("tf-docs-check"))


@pytest.mark.slow
def test_validate_root_modules_and_example() -> None:
    done = make("tf-validate")
    assert_ok(done)
    assert done.stdout.count("Success! The configuration is valid.") >= 1 + len(
        list((ROOT / "terraform/modules").glob("*/main.tf"))
    )


@pytest.mark.slow
def test_terraform_test_with_mocked_provider() -> None:
    done = make("tf-test")
    assert_ok(done)
    assert "0 failed" in done.stdout


@pytest.mark.slow
def test_example_plans_against_a_mocked_provider() -> None:
    done = make("tf-plan-example")
    assert_ok(done)
    assert "Success! 1 passed, 0 failed." in done.stdout, done.stdout[-2000:]


@pytest.mark.slow
def test_checkov_finds_no_failures_and_every_skip_has_a_reason() -> None:
    done = make("checkov", timeout=1200)
    assert_ok(done)
    assert "Failed checks: 0," in done.stdout, done.stdout[-2000:]
    for tf in Path(__file__).resolve().parents[2].joinpath("terraform").rglob("*.tf"):
        for line in tf.read_text().splitlines():
            if "checkov:skip=" in line:
                reason = line.split("checkov:skip=", 1)[1].split(":", 1)
                assert len(reason) == 2 and reason[1].strip(), f"{tf}: skip without a reason: {line.strip()}"


SOURCES = ("functions", "judge", "contracts", "store", "pipeline", "backend", "tools")


def snapshot(dest: Path) -> Path:
    """A copy of the sources (fresh mtimes, another path), so that edits in progress elsewhere in the
    repository cannot change the sources between two builds."""
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def build(tree: Path, out: Path) -> dict[str, str]:
    assert_ok(
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools/package_functions.py"),
                "--root",
                str(tree),
                "--out",
                str(out),
                "--wheel-cache",
                str(ROOT / "build/wheels"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    )
    return {z.name: hashlib.sha256(z.read_bytes()).hexdigest() for z in sorted(out.glob("*.zip"))}


@pytest.mark.slow
@pytest.mark.skipif(not any((ROOT / "functions").glob("*/handler.py")), reason="no functions to package yet")
def test_package_is_deterministic(tmp_path: Path) -> None:
    tree = snapshot(tmp_path / "src")
    first = build(tree, tmp_path / "a")
    # Another checkout: other path, other mtimes, same bytes in → same zips out.
    shutil.copytree(tree, tmp_path / "src2")
    for path in (tmp_path / "src2").rglob("*.py"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    second = build(tmp_path / "src2", tmp_path / "b")
    assert first and first == second
    assert set(first) >= {f"{p.parent.name}.zip" for p in (tree / "functions").glob("*/handler.py")}

    with zipfile.ZipFile(tmp_path / "a" / "dispatcher.zip") as zf:
        names = zf.namelist()
        assert "handler.py" in names and any(n.startswith("pipeline/") for n in names)
        assert names == sorted(names)
        # Bytecode only for python3.12, each beside the module it was compiled from (bytecode_entries).
        compiled = [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert compiled and all(
            n.endswith(".cpython-312.pyc") and n.replace("__pycache__/", "").replace(".cpython-312.pyc", ".py") in names
            for n in compiled), compiled
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    # The worker ships the engine, the contracts and the store it reads, never the backend.
    with zipfile.ZipFile(tmp_path / "a" / "worker.zip") as zf:
        tops = {n.split("/")[0] for n in zf.namelist()}
        assert {"judge", "contracts", "store", "pipeline", "pymysql"} <= tops
        assert "backend" not in tops
