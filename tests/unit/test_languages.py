from pathlib import Path

import pytest

from judge.languages import (
    LANGUAGES,
    UnknownLanguage,
    expand,
    get_language,
    java_main_class,
    language_for_path,
)


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


def test_layer_root_takes_precedence(tmp_path, monkeypatch):
    from judge import languages

    tool = tmp_path / "gcc" / "bin" / "g++"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\n")
    monkeypatch.setenv("JUDGE_LAYER_ROOT", str(tmp_path))
    languages.resolve_tool.cache_clear()
    try:
        assert languages.resolve_tool("g++") == tool
        assert languages.tool_roots(LANGUAGES["cpp"]) == (tmp_path / "gcc",)
    finally:
        languages.resolve_tool.cache_clear()
