"""Precompiled headers for the standard headers a C++ source opens with, whatever they are.

Parsing `<iostream>` is most of what GCC spends on a small program (0.25 of 0.35 s of CPU here).
The GCC layer precompiles `bits/stdc++.h`, which GCC uses only when a source includes it first; a
source that opens with `#include <cstdint>` and `#include <iostream>` gets nothing from it. So the
sandbox function precompiles exactly the leading includes a source has (its *prefix*), once that
prefix has come back, and compiles later sources with the same prefix with `-include` of it.

That is the same program: the source starts with those includes and nothing else (only blank lines
and `//` comments may come before or between them), `-include` reads them first as the source would
have, with the same flags, and the source's own `#include`s of them are then no-ops (include guards;
`<assert.h>`, which has none, is read again as it would have been). Anything else before them, a
`#define` or a `#pragma`, ends the prefix where it stands.

The precompiled headers are held in this process's memory, never on disk between compiles: the
submission can write anything its uid can (in direct mode the handler's own files), but not the memory
of the handler (not dumpable). Each compile gets a fresh copy in its own scratch directory.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable

# Headers of the C++20 standard library and the C library (GCC 12), which a prefix may hold. Not
# bits/stdc++.h: the layer has it precompiled already (layers/build.sh), where GCC finds it itself.
STANDARD_HEADERS = frozenset("""
algorithm any array atomic barrier bit bitset cassert cctype cerrno cfenv cfloat charconv chrono cinttypes
climits clocale cmath codecvt compare complex concepts condition_variable coroutine csetjmp csignal cstdarg
cstddef cstdint cstdio cstdlib cstring ctime cuchar cwchar cwctype deque exception filesystem forward_list
fstream functional future initializer_list iomanip ios iosfwd iostream istream iterator latch limits list
locale map memory memory_resource mutex new numbers numeric optional ostream queue random ranges ratio regex
scoped_allocator semaphore set shared_mutex source_location span sstream stack stdexcept stop_token
streambuf string string_view system_error thread tuple type_traits typeindex typeinfo unordered_map
unordered_set utility valarray variant vector version
assert.h ctype.h errno.h float.h inttypes.h limits.h locale.h math.h setjmp.h signal.h stdarg.h stdbool.h
stddef.h stdint.h stdio.h stdlib.h string.h time.h wchar.h wctype.h
""".split())
_INCLUDE = re.compile(r"[ \t]*#[ \t]*include[ \t]*<([a-z_.]+)>[ \t]*(//.*)?")
_SKIPPED = re.compile(r"[ \t]*(//.*)?")
HEADER_NAME = "prefix.h"
MAX_PREFIX_HEADERS = 24
MAX_PREFIXES_COUNTED = 4096  # distinct prefixes counted towards a build before the count starts over


def leading_headers(source: str) -> tuple[str, ...]:
    """The standard headers the source includes before anything else, in order, each once."""
    headers: list[str] = []
    for line in source.splitlines():
        if line.endswith("\\"):
            break  # a continued line: whatever it continues is not ours to read
        if include := _INCLUDE.fullmatch(line):
            if include.group(1) not in STANDARD_HEADERS or len(headers) == MAX_PREFIX_HEADERS:
                break
            if include.group(1) not in headers:
                headers.append(include.group(1))
        elif not _SKIPPED.fullmatch(line):
            break
    return tuple(headers)


def header_text(prefix: tuple[str, ...]) -> str:
    return "".join(f"#include <{header}>\n" for header in prefix)


class PrecompiledPrefixes:
    """The precompiled prefixes this process holds, least recently used dropped first.

    A prefix is precompiled the `build_after`-th time it is seen (a one-off prefix costs no build:
    a build takes about twice a compile's CPU); one that fails to build, or builds too large to
    hold, is never tried again."""

    def __init__(self, max_bytes: int = 128 << 20, build_after: int = 2):
        self.max_bytes = max_bytes
        self.build_after = build_after
        self._held: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._seen: dict[tuple[str, ...], int] = {}
        self._refused: set[tuple[str, ...]] = set()

    def get(self, prefix: tuple[str, ...], build: Callable[[], bytes | None]) -> tuple[bytes | None, str]:
        """The precompiled prefix, held or built now with `build`, and which ("held", "built"); or
        (None, "") when it is not worth one yet or cannot have one."""
        if not prefix or prefix in self._refused:
            return None, ""
        if (held := self._held.get(prefix)) is not None:
            self._held.move_to_end(prefix)
            return held, "held"
        if len(self._seen) >= MAX_PREFIXES_COUNTED:
            self._seen.clear()
        self._seen[prefix] = seen = self._seen.get(prefix, 0) + 1
        if seen < self.build_after:
            return None, ""
        built = build()
        if built is None or len(built) > self.max_bytes:
            self._refused.add(prefix)
            return None, ""
        self._held[prefix] = built
        while sum(len(data) for data in self._held.values()) > self.max_bytes:
            self._held.popitem(last=False)
        return built, "built"
