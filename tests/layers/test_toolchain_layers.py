"""The toolchain layers work with nothing of this host's toolchain: each compile runs in a bubblewrap
root that has only the layers, /bin/sh (with the glibc it needs) and the work directory, as close to
Lambda's image as this machine gets (no /usr/include, no /usr/lib/gcc, no gcc, as or ld on PATH).
The programs are then run in the same root: C and C++ binaries are static, so they need nothing."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from judge.languages import LANGUAGES

BWRAP = shutil.which("bwrap")
SH_NEEDS = ("/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2")

C_SOURCE = '#include <stdio.h>\n#include <math.h>\nint main(void){printf("c %.3f\\n", sqrt(2.0));return 0;}\n'
CPP_SOURCE = ("#include <bits/stdc++.h>\nint main(){std::map<int,std::string> m{{1,\"one\"}};"
              "std::vector<long> v(5);std::iota(v.begin(),v.end(),1L);"
              "std::cout<<\"cpp \"<<m[1]<<' '<<std::accumulate(v.begin(),v.end(),0L)<<std::endl;}\n")
JAVA_SOURCE = ('public class Main { public static void main(String[] a) {'
               ' System.out.println("java " + new java.util.TreeMap<>(java.util.Map.of(1, "one")).get(1)); } }\n')


def in_bare_root(layer_root: Path, work: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    assert BWRAP, "bubblewrap (bwrap) is a system dependency of the sandbox tests"
    command = [BWRAP, "--unshare-all", "--die-with-parent", "--tmpfs", "/",
               "--ro-bind", "/usr/bin/dash", "/bin/sh"]
    for path in SH_NEEDS:
        command += ["--ro-bind", str(Path(path).resolve()), path]
    command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",  # before the layer (under /tmp)
                "--ro-bind", str(layer_root), str(layer_root), "--bind", str(work), "/work", "--chdir", "/work",
                "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def compile_argv(language: str, layer_root: Path, source: str, binary: str = "main") -> list[str]:
    """The language's compile command (judge/languages.py) with the layer's tools."""
    tools = {"gcc": "gcc/bin/gcc", "g++": "gcc/bin/g++", "javac": "jdk/bin/javac", "java": "jdk/bin/java"}
    argv = []
    for part in LANGUAGES[language].compile:
        if part.startswith("<"):
            argv.append(str(layer_root / tools[part[1:-1]]))
        else:
            argv.append(part.format(source=source, binary=binary))
    return argv


@pytest.mark.parametrize(("language", "source", "expected"),
                         [("c", C_SOURCE, "c 1.414"), ("cpp", CPP_SOURCE, "cpp one 15")])
def test_c_and_cpp_compile_and_link_statically_with_the_layer_alone(layer_root, tmp_path, language, source, expected):
    name = LANGUAGES[language].source_name
    (tmp_path / name).write_text(source)
    compiled = in_bare_root(layer_root, tmp_path, compile_argv(language, layer_root, name))
    assert compiled.returncode == 0, compiled.stderr
    # Linked by the layer's gold (judge/languages.py: _LINK), in half of ld.bfd's time.
    assert b".note.gnu.gold-version" in (tmp_path / "main").read_bytes()
    ran = in_bare_root(layer_root, tmp_path, ["./main"])  # static: no loader, no libc in that root
    assert (ran.returncode, ran.stdout.strip()) == (0, expected), ran.stderr


# What a static C++ program needs of glibc and libstdc++ beyond plain calls: static constructors and
# destructors, atexit, exceptions, a thread, locale-dependent formatting, <regex>.
CPP_RUNTIME_SOURCE = r"""#include <bits/stdc++.h>
struct Noisy { Noisy() { std::cout << "ctor\n"; } ~Noisy() { std::cout << "dtor\n"; } } noisy;
static void bye() { std::puts("atexit"); }
int main() {
    std::atexit(bye);
    try { throw std::runtime_error("caught"); } catch (const std::exception& e) { std::cout << e.what() << "\n"; }
    std::thread worker([] { std::cout << "thread\n"; });
    worker.join();
    std::cout << std::fixed << std::setprecision(3) << 3.14159 << ' ' << std::regex_match("aaab", std::regex("a+b")) << "\n";
    std::printf("%s %d\n", "printf", 42);
}
"""


def test_unreached_library_code_is_left_out_and_what_a_program_reaches_is_kept(layer_root, tmp_path):
    """--gc-sections (judge/languages.py: _LINK): an <iostream> A+B is 1.4 MB instead of 1.8, less to
    pack, send, keep and write into each test's directory; the run-time machinery stays."""
    aplusb = Path(__file__).parents[2] / "problems/aplusb/submissions/accepted/sum.cpp"
    (tmp_path / "Main.cpp").write_text(aplusb.read_text())
    compiled = in_bare_root(layer_root, tmp_path, compile_argv("cpp", layer_root, "Main.cpp"))
    assert compiled.returncode == 0, compiled.stderr
    assert (tmp_path / "main").stat().st_size < 1_500_000
    (tmp_path / "Main.cpp").write_text(CPP_RUNTIME_SOURCE)
    compiled = in_bare_root(layer_root, tmp_path, compile_argv("cpp", layer_root, "Main.cpp"))
    assert compiled.returncode == 0, compiled.stderr
    ran = in_bare_root(layer_root, tmp_path, ["./main"])
    assert (ran.returncode, ran.stdout.split("\n")) == \
        (0, ["ctor", "caught", "thread", "3.142 1", "printf 42", "atexit", "dtor", ""]), ran.stderr


def test_the_precompiled_header_matches_the_cpp_compile_flags(layer_root, tmp_path):
    (tmp_path / "Main.cpp").write_text(CPP_SOURCE)
    argv = compile_argv("cpp", layer_root, "Main.cpp") + ["-H", "-Winvalid-pch", "-Werror=invalid-pch"]
    started = time.monotonic()
    compiled = in_bare_root(layer_root, tmp_path, argv)
    assert compiled.returncode == 0, compiled.stderr
    used = [line for line in compiled.stderr.splitlines() if line.startswith("! ")]
    assert used and used[0].endswith("bits/stdc++.h.gch") and used[0].startswith(f"! {layer_root}/gcc/"), \
        compiled.stderr[:2000]
    assert time.monotonic() - started < 30


def test_headers_libraries_and_programs_all_come_from_the_layer(layer_root, tmp_path):
    (tmp_path / "Main.cpp").write_text(CPP_SOURCE)
    compiled = in_bare_root(layer_root, tmp_path, compile_argv("cpp", layer_root, "Main.cpp") + ["-v"])
    assert compiled.returncode == 0, compiled.stderr
    # The programs run, the include directories searched, the linker's inputs and search paths.
    lines = [line for line in compiled.stderr.splitlines()
             if line.startswith((" /", "COMPILER_PATH=", "LIBRARY_PATH=")) or "ignoring" in line]
    paths = [word for line in lines for word in line.replace("=", " ").replace(":", " ").split()
             if word.startswith("/") and not word.startswith(("/tmp/cc", "/work"))]
    assert paths and all(p.startswith(str(layer_root)) for p in paths), sorted(set(paths))[:20]


def test_java_compiles_and_runs_with_the_layer_alone(layer_root, tmp_path):
    (tmp_path / "Main.java").write_text(JAVA_SOURCE)
    compiled = in_bare_root(layer_root, tmp_path, compile_argv("java", layer_root, "Main.java"))
    assert compiled.returncode == 0, compiled.stderr
    ran = in_bare_root(layer_root, tmp_path, [str(layer_root / "jdk/bin/java"), "-Xmx256m", "-cp", ".", "Main"])
    assert (ran.returncode, ran.stdout.strip()) == (0, "java one"), ran.stderr


def test_java_and_javac_start_from_the_layers_class_data_archives(layer_root, tmp_path):
    """-Xshare:on refuses to start unless every archive maps: the JDK's base archive for a run, and
    javac's own on top of it (its wrapper names it), both unpacked where they were not dumped. Without
    them every run's JVM start costs about twice the CPU, and every javac three times (layers/build.sh)."""
    (tmp_path / "Main.java").write_text(JAVA_SOURCE)
    argv = compile_argv("java", layer_root, "Main.java")
    compiled = in_bare_root(layer_root, tmp_path, [argv[0], "-J-Xshare:on", *argv[1:]])
    assert compiled.returncode == 0 and not compiled.stdout and not compiled.stderr, compiled
    java = str(layer_root / "jdk/bin/java")
    ran = in_bare_root(layer_root, tmp_path, [java, "-Xshare:on", "-Xmx256m", "-XX:+UseSerialGC", "-cp", ".", "Main"])
    assert (ran.returncode, ran.stdout.strip()) == (0, "java one"), ran.stderr
