"""The language table: one declaration per language, nothing else knows how a language is built.

A command is an argv template. Placeholders: `{source}` (the source file name), `{binary}`,
`{main_class}` (Java), `{memory_mib}` (the run's memory limit), and tool names in angle brackets
(`<gcc>`, `<g++>`, `<java>`, `<javac>`, `<python>`) that `Toolchain` resolves to absolute paths, so the
same table serves this host, a CI box and a Lambda layer under `$JUDGE_LAYER_ROOT`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from judge.sandbox.api import MemoryModel


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
    runs_source: bool = False  # the run needs the source itself (interpreted languages)
    run_processes: int = 1  # the JVM needs threads; native code and CPython get a single process
    compile_env: dict[str, str] = field(default_factory=dict)

    def source_file_name(self, source: str) -> str:
        if self.name == "java":
            return f"{java_main_class(source)}.java"
        return self.source_name


def java_main_class(source: str) -> str:
    """The class javac must find in a file of the same name: the public one, else the one with main."""
    without_comments = re.sub(r"//[^\n]*|/\*.*?\*/", " ", source, flags=re.S)
    public = re.search(r"\bpublic\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)", without_comments)
    if public:
        return public.group(1)
    declarations = list(re.finditer(r"\bclass\s+([A-Za-z_$][\w$]*)", without_comments))
    for match, following in zip(declarations, declarations[1:] + [None], strict=True):
        body = without_comments[match.end():following.start() if following else None]
        if re.search(r"\bstatic\b[^;{(]*\bvoid\s+main\s*\(", body):
            return match.group(1)
    return "Main"


_HELLO_C = '#include <stdio.h>\nint main(void){char s[64];if(scanf("%63s",s)!=1)return 1;printf("hello %s\\n",s);return 0;}\n'
_HELLO_CPP = (
    "#include <bits/stdc++.h>\nint main(){std::string s;std::cin>>s;std::cout<<\"hello \"<<s<<\"\\n\";}\n"
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
            runs_source=True,
        ),
        Language(
            name="c",
            display_name="C17 (gcc -O2)",
            extensions=(".c",),
            source_name="Main.c",
            compile=("<gcc>", "-std=c17", "-O2", "-pipe", "-o", "{binary}", "{source}", "-lm"),
            run=("./{binary}",),
            memory_model=MemoryModel.ADDRESS_SPACE,
            tools=("gcc",),
            self_test=_HELLO_C,
        ),
        Language(
            name="cpp",
            display_name="C++20 (g++ -O2, gnu++20)",
            extensions=(".cpp", ".cc", ".cxx", ".c++", ".C"),
            source_name="Main.cpp",
            compile=("<g++>", "-std=gnu++20", "-O2", "-pipe", "-o", "{binary}", "{source}"),
            run=("./{binary}",),
            memory_model=MemoryModel.ADDRESS_SPACE,
            tools=("g++",),
            self_test=_HELLO_CPP,
        ),
        Language(
            name="java",
            display_name="Java 17 (OpenJDK)",
            extensions=(".java",),
            source_name="Main.java",
            compile=("<javac>", "-J-Xmx512m", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "-d", ".", "{source}"),
            # RLIMIT_AS breaks the JVM's reservations: cap the heap, poll RSS for the rest.
            run=("<java>", "-Xmx{memory_mib}m", "-Xss64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                 "-XX:-UsePerfData", "-Xshare:auto", "-cp", ".", "{main_class}"),
            memory_model=MemoryModel.RSS_POLLING,
            tools=("java", "javac"),
            self_test=_HELLO_JAVA,
            run_processes=64,
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


class ToolNotFound(RuntimeError):
    pass


# Where each tool lives inside a Lambda layer (relative to the layer root, `/opt` in AWS).
_LAYER_PATHS = {"gcc": "gcc/bin/gcc", "g++": "gcc/bin/g++", "java": "jdk/bin/java", "javac": "jdk/bin/javac"}


@cache
def resolve_tool(tool: str) -> Path:
    """Absolute path of a tool: the layer's copy when a layer provides it, else the host's."""
    if tool == "python":
        # Submissions run on the judge's own interpreter version, outside any virtualenv.
        base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
        return base if base.exists() else Path(sys.executable)
    layer_root = Path(os.environ.get("JUDGE_LAYER_ROOT", "/opt"))
    in_layer = layer_root / _LAYER_PATHS[tool]
    if in_layer.exists():
        return in_layer
    found = shutil.which(tool)
    if not found:
        raise ToolNotFound(f"{tool} not found under {layer_root} or on PATH")
    return Path(found)


def tool_roots(language: Language) -> tuple[Path, ...]:
    """Directories a sandboxed run must see for the language's tools to work (bind-mounted read-only)."""
    roots: set[Path] = set()
    for tool in language.tools:
        real = resolve_tool(tool).resolve()
        if tool == "python":
            roots.add(Path(sys.base_prefix).resolve())
        elif not str(real).startswith("/usr/"):
            roots.add(real.parent.parent)  # <root>/bin/tool → <root>
    return tuple(sorted(roots))


def expand(template: tuple[str, ...], **values: str) -> list[str]:
    argv = []
    for part in template:
        if part.startswith("<") and part.endswith(">"):
            argv.append(str(resolve_tool(part[1:-1])))
        else:
            argv.append(part.format(**values))
    return argv


def tool_path_env(language: Language) -> str:
    """PATH for compiles and runs: the tools' directories, then the system's."""
    dirs = []
    for tool in language.tools:
        parent = str(resolve_tool(tool).parent)
        if parent not in dirs:
            dirs.append(parent)
    return ":".join(dirs + ["/usr/local/bin", "/usr/bin", "/bin"])
