"""A C++ source's leading standard includes, precompiled when they recur: which includes count, when a
build happens, and that a program compiled so is the program the source is (judge/prefix_headers.py)."""

from __future__ import annotations

import pytest

from judge.languages import get_language
from judge.prefix_headers import MAX_PREFIX_HEADERS, PrecompiledPrefixes, leading_headers
from judge.runner import LocalRunner, TestInput, compile_in_sandbox
from judge.sandbox.api import Limits, Outcome


@pytest.mark.parametrize("source, prefix", [
    ("#include <cstdint>\n#include <iostream>\nint main(){}\n", ("cstdint", "iostream")),
    ("// A+B\n\n  #  include<vector> // the list\n#include <stdio.h>\r\nusing namespace std;\n#include <map>\n",
     ("vector", "stdio.h")),
    ("#include <iostream>\n#include <iostream>\n#include <set>\n", ("iostream", "set")),
    # Anything that could change what the headers mean ends the prefix where it stands.
    ("#define NDEBUG\n#include <cassert>\n", ()),
    ("#include <vector>\n#pragma GCC optimize(\"O3\")\n#include <map>\n", ("vector",)),
    ("#include <vector>\n#undef _GLIBCXX_DEBUG\n#include <map>\n", ("vector",)),
    ("/* block */\n#include <vector>\n", ()),
    ("#include <vector>\\\n\n#include <map>\n", ()),
    # Only the standard library's own headers: the layer's precompiled bits/stdc++.h serves itself,
    # and a path of the source's choosing is never read here.
    ("#include <bits/stdc++.h>\n#include <vector>\n", ()),
    ("#include <vector>\n#include \"mine.h\"\n#include <map>\n", ("vector",)),
    ("#include </proc/self/environ>\n", ()),
    ("#include <../../etc/passwd>\n", ()),
    ("#include <ext/pb_ds/assoc_container.hpp>\n", ()),
    ("\ufeff#include <vector>\n", ()),
])
def test_the_prefix_is_the_standard_includes_before_anything_else(source, prefix):
    assert leading_headers(source) == prefix


def test_a_prefix_holds_a_bounded_number_of_headers():
    headers = ["vector", "map", "set", "deque", "list", "queue", "stack", "array", "string", "bitset", "tuple",
               "cmath", "cstdio", "cstdlib", "cstring", "cstdint", "climits", "cctype", "ctime", "iomanip",
               "sstream", "fstream", "numeric", "utility", "memory", "random"]
    assert len(leading_headers("".join(f"#include <{h}>\n" for h in headers))) == MAX_PREFIX_HEADERS


def test_a_prefix_is_built_on_its_second_sighting_held_then_and_never_retried_once_it_failed():
    built = []

    def build(result):
        def run():
            built.append(result)
            return result
        return run

    cache = PrecompiledPrefixes(max_bytes=100)
    assert cache.get(("vector",), build(b"pch")) == (None, "")
    assert cache.get(("vector",), build(b"pch")) == (b"pch", "built")
    assert cache.get(("vector",), build(b"other")) == (b"pch", "held")
    assert cache.get((), build(b"x")) == (None, "")
    for _ in range(3):
        assert cache.get(("map",), build(None)) == (None, "")
    assert built == [b"pch", None]  # the failed build was tried once


def test_the_least_recently_used_prefix_goes_first_and_one_too_large_is_never_held():
    cache = PrecompiledPrefixes(max_bytes=10, build_after=1)
    assert cache.get(("a",), lambda: b"aaaa")[1] == "built"
    assert cache.get(("b",), lambda: b"bbbb")[1] == "built"
    assert cache.get(("a",), lambda: b"")[1] == "held"
    assert cache.get(("c",), lambda: b"cccc")[1] == "built"  # 12 bytes: b, the oldest, goes
    assert cache.get(("a",), lambda: b"")[1] == "held"
    assert cache.get(("b",), lambda: b"bbbb")[1] == "built"
    assert cache.get(("big",), lambda: b"x" * 11) == (None, "")


# `int count` is fine with only <iostream>, ambiguous with <algorithm>'s std::count in reach: a
# compile that saw more headers than the source includes (bits/stdc++.h forced in) would fail it.
COUNT = b"""// counts
#include <cstdint>
#include <iostream>
using namespace std;
int count = 41;
int main() { std::int64_t a; cin >> a; cout << count + a << '\\n'; }
"""


def _run(compiled) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "1.in").write_bytes(b"1\n")
        [observation] = LocalRunner().run(get_language("cpp"), compiled, [TestInput("1", Path(tmp) / "1.in")],
                                          Limits(wall_time_s=5))
    assert observation.outcome == Outcome.OK, observation
    return observation.stdout


def test_a_program_compiled_with_its_prefix_precompiled_is_the_program_its_source_is():
    cpp, cache = get_language("cpp"), PrecompiledPrefixes()
    compiles = [compile_in_sandbox(cpp, COUNT, prefixes=cache) for _ in range(3)]
    assert [c.precompiled for c in compiles] == ["", "built", "held"]
    assert all(c.ok for c in compiles), [c.output for c in compiles]
    assert {_run(c) for c in compiles} == {b"42\n"}
    # A compile error names the source's own lines, as without the precompiled prefix.
    broken = compile_in_sandbox(cpp, COUNT.replace(b"cin >> a;", b"cin >> a; nope();"), prefixes=cache)
    assert broken.precompiled == "held" and not broken.ok and "Main.cpp:6:" in broken.output, broken.output
    assert "prefix" not in broken.output


def test_a_language_without_a_precompiler_or_a_compile_without_prefixes_precompiles_nothing():
    cache = PrecompiledPrefixes(build_after=1)
    c_source = b"#include <stdio.h>\nint main(void){puts(\"1\");return 0;}\n"
    assert compile_in_sandbox(get_language("c"), c_source, prefixes=cache).precompiled == ""
    assert compile_in_sandbox(get_language("cpp"), COUNT).precompiled == ""
