"""The language table: one declaration per language, nothing else knows how a language is built.

A command is an argv template. Placeholders: `{source}` (the source file name), `{binary}`,
`{main_class}` (Java), `{memory_mib}` (the run's memory limit), and tool names in angle brackets
(`<gcc>`, `<g++>`, `<java>`, `<javac>`, `<python>`) that `judge.toolchain` resolves to absolute paths,
so the same table serves this host, a CI box and a Lambda layer under `$JUDGE_LAYER_ROOT`.

A language's quirks are fields here, never `if name == ...` elsewhere: how to find the class to start
(`main_class_finder`), what its runtime prints when it runs out of memory (`oom_marker`), how its
compiler's memory is limited (`compile_memory_model`). Every other list of languages (the message
contract, the API model, `terraform/workers.json`) is derived from this table or tested against it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from judge.sandbox.api import MemoryModel
from judge.toolchain import layer_of


class UnknownLanguage(ValueError):
    pass


@dataclass(frozen=True)
class Language:
    name: str
    display_name: str
    extensions: tuple[str, ...]
    source_name: str  # file name the source is saved as (Java renames to its public class)
    compile: tuple[str, ...] | None  # None: nothing to compile (the run command checks syntax)
    run: tuple[str, ...]
    memory_model: MemoryModel
    tools: tuple[str, ...]  # tool names the commands use; their directories become visible to runs
    self_test: str  # reads one line, prints "hello <line>"
    # Asks the compiler (or interpreter) its version; the first line it prints is the version string.
    version_command: tuple[str, ...]
    runs_source: bool = False  # the run needs the source itself (interpreted languages)
    run_processes: int = 1  # the JVM needs threads; native code and CPython get a single process
    compile_env: dict[str, str] = field(default_factory=dict)
    compile_memory_model: MemoryModel = MemoryModel.ADDRESS_SPACE
    # The class the run starts, found in the source; the source file is then named after it.
    main_class_finder: Callable[[str], str] | None = None
    # A clean-looking exit that is really a memory limit (the JVM turns a full heap into exit 1).
    oom_marker: bytes | None = None
    # Why a source cannot be built as one file here (a compile error with that reason), or None.
    source_problem: Callable[[str], str | None] | None = None
    # What problem packages call it (problem.yaml `languages`: the Kattis language codes; ours too).
    package_codes: tuple[str, ...] = ()
    # What a sandbox function's cold start runs to prove the layer works here (billed INIT): empty,
    # the self-test; else these commands, each of which must print a version. For a language whose
    # self-test costs a JVM start, asking each tool its version loads every binary for far less.
    cold_start_probes: tuple[tuple[str, ...], ...] = ()
    # Precompiles `{header}` into `{output}` with exactly the flags `compile` uses (GCC ignores a
    # precompiled header built otherwise): a source's leading includes then come precompiled
    # (judge/prefix_headers.py). None: the compiler has nothing of the kind.
    precompile_header: tuple[str, ...] | None = None
    # Layers only its sandbox function gets, besides its tools' (`layers`): ones that make compiling
    # submissions faster, which the workers, compiling a few validators, do without.
    sandbox_only_layers: tuple[str, ...] = ()

    def main_class_of(self, source: str) -> str | None:
        return self.main_class_finder(source) if self.main_class_finder else None

    def source_file_name(self, source: str, main_class: str | None = None) -> str:
        """The name the source is saved as: `source_name`, or `<main class>.java`."""
        main_class = main_class or self.main_class_of(source)
        if main_class is None:
            return self.source_name
        return f"{main_class}{Path(self.source_name).suffix}"

    @property
    def compiler(self) -> str:
        """The tool that builds (or, with nothing to build, runs) a submission: the version command's."""
        return self.version_command[0].strip("<>")

    def command_line(self, template: tuple[str, ...] | None, memory_mib: int = 256) -> str | None:
        """A command as a person would type it for a typical submission (tools by name, not path)."""
        if template is None:
            return None
        values = {"source": self.source_name, "binary": BINARY_NAME,
                  "main_class": Path(self.source_name).stem, "memory_mib": str(memory_mib)}
        return shlex.join(part.strip("<>") if part.startswith("<") and part.endswith(">") else part.format(**values)
                          for part in template)

    @property
    def layers(self) -> tuple[str, ...]:
        """The Lambda layers its tools come from (none for Python: the runtime is the tool)."""
        return tuple(sorted({layer for layer in map(layer_of, self.tools) if layer}))


def _without_java_comments(source: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", source, flags=re.S)


def java_main_class(source: str) -> str:
    """The class javac must find in a file of the same name: the public one, else the one with main."""
    without_comments = _without_java_comments(source)
    public = re.search(r"\bpublic\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)", without_comments)
    if public:
        return public.group(1)
    declarations = list(re.finditer(r"\bclass\s+([A-Za-z_$][\w$]*)", without_comments))
    for match, following in zip(declarations, declarations[1:] + [None], strict=True):
        body = without_comments[match.end():following.start() if following else None]
        if re.search(r"\bstatic\b[^;{(]*\bvoid\s+main\s*\(", body):
            return match.group(1)
    return "Main"


def java_source_problem(source: str) -> str | None:
    """A `package` declaration puts the class in a folder `java` would have to be started from by its
    qualified name; the judge runs one class from the top folder, so it is refused with the fix."""
    declared = re.search(r"^\s*package\s+([\w.]+)\s*;", _without_java_comments(source), flags=re.M)
    if declared:
        return f"package declarations are not supported: remove `package {declared.group(1)};`"
    return None


_HELLO_C = '#include <stdio.h>\nint main(void){char s[64];if(scanf("%63s",s)!=1)return 1;printf("hello %s\\n",s);return 0;}\n'
# The flags that decide what a C++ compile means, shared by the compile and its precompiled headers
# (and the layer's precompiled bits/stdc++.h: PCH_FLAGS in layers/build.sh).
_CPP_DIALECT = ("-std=gnu++20", "-O2")
# How C and C++ programs are linked (see the C entry for why).
_LINK = ("-static", "-s", "-fuse-ld=gold", "-Wl,--gc-sections")
# <cstdio>, not <iostream>: every sandbox cold start compiles it, and parsing the iostream headers
# alone costs GCC 0.4 s of CPU (the layer's precompiled header has its own test in tests/layers).
_HELLO_CPP = (
    '#include <cstdio>\nint main(){char s[64];if(std::scanf("%63s",s)!=1)return 1;std::printf("hello %s\\n",s);}\n'
)
_HELLO_JAVA = (
    "import java.util.*;\npublic class Hello { public static void main(String[] a) {"
    " Scanner in = new Scanner(System.in); System.out.println(\"hello \" + in.next()); } }\n"
)
_HELLO_PY = "print('hello', input().strip())\n"

LANGUAGES: dict[str, Language] = {
    language.name: language
    for language in (
        Language(
            name="python",
            package_codes=("python3", "python"),
            display_name="Python 3.12 (CPython)",
            extensions=(".py",),
            source_name="Main.py",
            # Compiling only checks syntax, so a syntax error is COMPILATION_ERROR, not RUNTIME_ERROR.
            compile=("<python>", "-I", "-S", "-c",
                     "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')", "{source}"),
            run=("<python>", "-I", "-S", "-B", "{source}"),
            memory_model=MemoryModel.ADDRESS_SPACE,
            tools=("python",),
            self_test=_HELLO_PY,
            version_command=("<python>", "--version"),
            runs_source=True,
        ),
        Language(
            name="c",
            package_codes=("c",),
            display_name="C17 (gcc -O2)",
            extensions=(".c",),
            source_name="Main.c",
            # Static: the binary runs without the GCC layer's loader and glibc (and in any mount namespace).
            # Stripped (-s): a fifth smaller to pack, send and cache, the same program. Linked by gold:
            # a static link in half the CPU of ld.bfd's (0.1 s of an A+B's compile), the same program.
            # --gc-sections: the library code a program cannot reach is left out (a C++ A+B is 1.4 MB,
            # not 1.8), in no more link time.
            compile=("<gcc>", "-std=c17", "-O2", "-pipe", *_LINK, "-o", "{binary}", "{source}", "-lm"),
            run=("./{binary}",),
            memory_model=MemoryModel.ADDRESS_SPACE,
            tools=("gcc",),
            self_test=_HELLO_C,
            version_command=("<gcc>", "--version"),
        ),
        Language(
            name="cpp",
            package_codes=("cpp", "c++"),
            display_name="C++20 (g++ -O2, gnu++20)",
            extensions=(".cpp", ".cc", ".cxx", ".c++", ".C"),
            source_name="Main.cpp",
            # -std/-O2 as the layer's precompiled bits/stdc++.h (PCH_FLAGS in layers/build.sh); static as C.
            compile=("<g++>", *_CPP_DIALECT, "-pipe", *_LINK, "-o", "{binary}", "{source}"),
            run=("./{binary}",),
            memory_model=MemoryModel.ADDRESS_SPACE,
            tools=("g++",),
            self_test=_HELLO_CPP,
            version_command=("<g++>", "--version"),
            precompile_header=("<g++>", *_CPP_DIALECT, "-x", "c++-header", "-o", "{output}", "{header}"),
            sandbox_only_layers=("gcc_pch",),  # the precompiled bits/stdc++.h (layers/build.sh)
        ),
        Language(
            name="java",
            package_codes=("java",),
            display_name="Java 17 (OpenJDK)",
            extensions=(".java",),
            source_name="Main.java",
            # C1 only: javac runs for well under a second, where C2 costs CPU and never pays back
            # (about a third of javac's CPU on an A+B). The JDK layer's javac also maps a class-data
            # archive dumped with these flags (layers/build.sh: jdk_cds).
            compile=("<javac>", "-J-Xmx512m", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-encoding", "UTF-8",
                     "-d", ".", "{source}"),
            # RLIMIT_AS breaks the JVM's reservations: cap the heap, poll RSS for the rest.
            run=("<java>", "-Xmx{memory_mib}m", "-Xss64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                 "-XX:-UsePerfData", "-Xshare:auto", "-cp", ".", "{main_class}"),
            memory_model=MemoryModel.RSS_POLLING,
            tools=("java", "javac"),
            self_test=_HELLO_JAVA,
            version_command=("<javac>", "-version"),
            run_processes=64,
            compile_memory_model=MemoryModel.RSS_POLLING,  # javac is a JVM too
            main_class_finder=java_main_class,
            oom_marker=b"java.lang.OutOfMemoryError",
            source_problem=java_source_problem,
            cold_start_probes=(("<java>", "-version"), ("<javac>", "-version")),  # a compile is 0.7 s of JVM
        ),
    )
}

BINARY_NAME = "main"


def get_language(name: str) -> Language:
    try:
        return LANGUAGES[name]
    except KeyError:
        raise UnknownLanguage(f"unknown language {name!r}; known: {', '.join(sorted(LANGUAGES))}") from None


def language_for_path(path: Path) -> Language:
    for language in LANGUAGES.values():
        if path.suffix in language.extensions:
            return language
    raise UnknownLanguage(f"cannot tell the language of {path.name!r} from its extension; pass --language")
