from pathlib import Path

import pytest

from judge.languages import (
    LANGUAGES,
    UnknownLanguage,
    get_language,
    java_main_class,
    java_source_problem,
    language_for_path,
)
from judge.toolchain import expand


def test_table_has_the_four_languages_with_self_tests():
    assert set(LANGUAGES) == {"python", "c", "cpp", "java"}
    for language in LANGUAGES.values():
        assert "hello" in language.self_test
        assert language.run, language.name


@pytest.mark.parametrize("name, language", [
    ("a.py", "python"), ("a.c", "c"), ("a.cpp", "cpp"), ("a.cc", "cpp"), ("Sol.java", "java"),
])
def test_language_from_extension(name, language):
    assert language_for_path(Path(name)).name == language


def test_unknown_extension_and_name_are_clear_errors():
    with pytest.raises(UnknownLanguage, match="--language"):
        language_for_path(Path("a.rb"))
    with pytest.raises(UnknownLanguage, match="known: c, cpp, java, python"):
        get_language("ruby")


def test_java_main_class_is_the_public_class_ignoring_comments():
    source = "// public class Fake {}\n/* public class Other */\nclass Helper {}\npublic final class Real { }"
    assert java_main_class(source) == "Real"
    assert LANGUAGES["java"].source_file_name(source) == "Real.java"


def test_java_main_class_without_public_class_is_the_one_with_main():
    source = "class Helper { }\nclass Sol { public static void main(String[] a) { } }"
    assert java_main_class(source) == "Sol"


def test_commands_expand_tools_to_absolute_paths():
    argv = expand(LANGUAGES["cpp"].compile, source="Main.cpp", binary="main")
    assert Path(argv[0]).is_absolute() and argv[-1] == "Main.cpp"
    java = expand(LANGUAGES["java"].run, source="", binary="", main_class="Sol", memory_mib="256")
    assert "-Xmx256m" in java and java[-1] == "Sol"


def test_layer_root_takes_precedence_for_every_tool_user(tmp_path, monkeypatch):
    """Submissions, custom validators and the launcher build all find the layer's compiler first."""
    from judge import toolchain
    from judge.checkers import custom_validator
    from judge.sandbox import launcher_build

    for name in ("gcc", "g++"):
        tool = tmp_path / "gcc" / "bin" / name
        tool.parent.mkdir(parents=True, exist_ok=True)
        tool.write_text("#!/bin/sh\n")
    monkeypatch.setenv("JUDGE_LAYER_ROOT", str(tmp_path))
    toolchain.resolve_tool.cache_clear()
    try:
        assert toolchain.resolve_tool("g++") == tmp_path / "gcc" / "bin" / "g++"
        assert toolchain.tool_roots(LANGUAGES["cpp"].tools) == (tmp_path / "gcc",)
        assert launcher_build._compiler() == str(tmp_path / "gcc" / "bin" / "gcc")
        assert custom_validator._compiler_of(LANGUAGES["cpp"]) == str(tmp_path / "gcc" / "bin" / "g++")
    finally:
        toolchain.resolve_tool.cache_clear()


def test_quirks_are_fields_of_the_table():
    java, cpp = LANGUAGES["java"], LANGUAGES["cpp"]
    source = "class Helper {}\npublic class Sol { public static void main(String[] a) {} }\n"
    assert java.main_class_of(source) == "Sol" and java.source_file_name(source) == "Sol.java"
    assert cpp.main_class_of(source) is None and cpp.source_file_name(source) == "Main.cpp"
    assert java.oom_marker and cpp.oom_marker is None
    assert java.layers == ("jdk",) and cpp.layers == ("gcc",) and LANGUAGES["python"].layers == ()


def test_expand_splices_a_list_into_several_arguments():
    argv = expand(LANGUAGES["cpp"].compile, source=["a.cpp", "b.cpp"], binary="v")
    assert argv[-2:] == ["a.cpp", "b.cpp"] and "-o" in argv


def test_a_java_package_declaration_is_a_compile_error_with_the_fix():
    """DOMjudge's test-package.java expects CORRECT or COMPILER-ERROR; running `Main` from the top folder
    while javac put it in bin/ would be a confusing RUNTIME_ERROR."""
    from judge.runner import LocalRunner

    source = "// package not.this;\npackage bin;\npublic class Main { public static void main(String[] a) { } }\n"
    compiled = LocalRunner().compile(LANGUAGES["java"], source.encode())
    assert not compiled.ok and not compiled.failure_is_judge_error()
    assert compiled.output == "package declarations are not supported: remove `package bin;`"
    assert java_source_problem("/* package x; */ class Main { String packageName = \"package y;\"; }") is None


def test_a_version_is_what_the_tool_prints_and_none_when_there_is_no_tool():
    import platform

    from judge.toolchain import version_of

    assert version_of(LANGUAGES["python"].version_command) == f"Python {platform.python_version()}"
    assert version_of(("<no-such-compiler>", "--version")) is None  # unknown, never made up


def test_commands_read_as_typed_for_a_typical_submission():
    java = LANGUAGES["java"]
    assert java.compiler == "javac" and LANGUAGES["cpp"].compiler == "g++" and LANGUAGES["python"].compiler == "python"
    assert java.command_line(java.run, memory_mib=512).startswith("java -Xmx512m ")
    assert java.command_line(java.run).endswith(" -cp . Main")
    assert LANGUAGES["c"].command_line(LANGUAGES["c"].compile) == "gcc -std=c17 -O2 -pipe -static -s -fuse-ld=gold -Wl,--gc-sections -o main Main.c -lm"
    assert java.command_line(None) is None
