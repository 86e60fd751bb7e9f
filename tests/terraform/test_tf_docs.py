"""tools/tf_docs.py: every Terraform README's tables match its variables.tf/outputs.tf, and the check
names the README that is stale or missing (no terraform CLI needed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TF_DOCS = ROOT / "tools/tf_docs.py"


def tf_docs(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TF_DOCS), *map(str, args)], capture_output=True, text=True, check=False
    )


def copy_module(name: str, tree: Path) -> Path:
    """A copy of one real module (README included) at <tree>/modules/<name>."""
    return Path(shutil.copytree(ROOT / "terraform/modules" / name, tree / "modules" / name))


def test_real_tree_is_up_to_date() -> None:
    done = tf_docs("--check", ROOT / "terraform")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_module_and_example_has_a_readme_with_markers() -> None:
    dirs = [d for d in (ROOT / "terraform").glob("*/*") if d.parent.name in ("modules", "examples")]
    assert dirs
    for d in dirs:
        text = (d / "README.md").read_text()
        assert "<!-- BEGIN_TF_DOCS -->" in text and "<!-- END_TF_DOCS -->" in text, d


def test_an_edited_description_makes_the_check_fail_naming_that_readme(tmp_path: Path) -> None:
    tree = tmp_path / "terraform"
    queues, bucket = copy_module("queues", tree), copy_module("bucket", tree)
    assert tf_docs("--check", tree).returncode == 0

    variables = queues / "variables.tf"
    text = variables.read_text()
    old = 'description = "Tags for every queue and alarm."'
    assert old in text
    variables.write_text(text.replace(old, 'description = "Tags on the queues and their alarms."'))

    done = tf_docs("--check", tree)
    assert done.returncode != 0
    assert str(queues / "README.md") in done.stderr
    assert str(bucket / "README.md") not in done.stderr
    assert "Tags on the queues" not in (queues / "README.md").read_text(), "--check must not write"

    assert tf_docs(tree).returncode == 0
    assert "| `tags` | Tags on the queues and their alarms. |" in (queues / "README.md").read_text()
    assert tf_docs("--check", tree).returncode == 0


def test_a_directory_without_readme_fails_the_check(tmp_path: Path) -> None:
    tree = tmp_path / "terraform"
    copy_module("lambda_layer", tree)
    bare = tree / "examples" / "bare"
    bare.mkdir(parents=True)
    (bare / "main.tf").write_text("locals {\n  x = 1\n}\n")

    for args in (("--check", tree), (tree,)):  # writing never invents a README either
        done = tf_docs(*args)
        assert done.returncode != 0
        assert f"{bare / 'README.md'}: missing" in done.stderr
    assert not (bare / "README.md").exists()


def test_no_variables_or_outputs_say_so(tmp_path: Path) -> None:
    module = tmp_path / "terraform" / "modules" / "empty"
    module.mkdir(parents=True)
    (module / "main.tf").write_text("locals {\n  x = 1\n}\n")
    (module / "README.md").write_text("# empty\n\n<!-- BEGIN_TF_DOCS -->\n<!-- END_TF_DOCS -->\n")

    assert tf_docs(tmp_path / "terraform").returncode == 0
    text = (module / "README.md").read_text()
    assert "## Inputs\n\nNo inputs.\n\n## Outputs\n\nNo outputs.\n<!-- END_TF_DOCS -->" in text
