"""Check the toolchain layers for what AWS Lambda would refuse: ELFs its loader cannot run, and
functions over the 250 MB limit with their layers.

Lambda's python3.12 runtime is Amazon Linux 2023: glibc 2.34 and little else. For every ELF of a layer
(zip or extracted directory):

* one started by the *system* loader (PT_INTERP /lib64/ld-linux-x86-64.so.2), and every shared library
  it needs, may need no GLIBC_ version above 2.34, and each library it needs (DT_NEEDED) must be glibc's
  own (BASE_LIBRARIES) or found in the layer (its RPATH/RUNPATH, or a library of that name the layer has,
  as libjvm.so that the launcher loads first);
* one started by the layer's own loader (PT_INTERP under /opt, the layer's path in Lambda) may need
  any glibc, but everything it needs must be in the layer, the loader included;
* in a layer tree (gcc/, jdk/) without its own loader every shared library counts as loaded by the
  system loader (dlopen'ed libraries such as libjvm.so are no one's DT_NEEDED).

Then each deployed function's zip plus its layers must stay under the unzipped limit
(tools/check_lambda_size.py: which function gets which layer comes from terraform/).

    python tools/check_layers.py [--build-dir build] [--if-built] [LAYER.zip|DIR ...]
"""

from __future__ import annotations

import argparse
import posixpath
import re
import stat
import struct
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_lambda_size

ROOT = Path(__file__).resolve().parent.parent
MAX_GLIBC = (2, 34)  # Amazon Linux 2023
LAYER_ROOT = "/opt"  # where Lambda extracts layers
SYSTEM_LOADERS = {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2"}
# Only glibc's own libraries: the python3.12 image promises nothing else (no libz, libstdc++, libgcc_s).
BASE_LIBRARIES = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libresolv.so.2",
    "libutil.so.1", "libanl.so.1", "ld-linux-x86-64.so.2", "linux-vdso.so.1",
}
GLIBC_FILES = BASE_LIBRARIES | {"libmvec.so.1", "libnss_files.so.2", "libnss_dns.so.2"}

PT_INTERP, SHT_DYNAMIC, SHT_DYNSYM = 3, 6, 11
SHT_VERNEED, SHT_VERSYM = 0x6FFFFFFE, 0x6FFFFFFF
DT_NEEDED, DT_RPATH, DT_SONAME, DT_RUNPATH = 1, 15, 14, 29


# ---- ELF (64-bit little-endian, what x86_64 Lambda runs) ------------------------------------------


@dataclass
class Elf:
    interpreter: str | None = None
    needed: list[str] = field(default_factory=list)
    soname: str | None = None
    search: list[str] = field(default_factory=list)  # RPATH/RUNPATH entries, unexpanded
    # version needed → (library it is needed from, symbols that use it)
    versions: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    shared: bool = False  # ET_DYN without an interpreter: a library


def _cstr(data: bytes, offset: int) -> str:
    return data[offset:data.index(b"\0", offset)].decode(errors="replace")


def _sections(data: bytes) -> list[tuple[int, int, int, int, int]]:
    """(type, offset, size, link, entsize) of each section."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    out = []
    for i in range(shnum):
        _, sh_type, _, _, off, size, link, _, _, entsize = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        out.append((sh_type, off, size, link, entsize))
    return out


def parse_elf(data: bytes) -> Elf | None:
    """What the loader reads from an ELF; None when it is not a 64-bit little-endian ELF."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    elf = Elf()
    e_type, = struct.unpack_from("<H", data, 0x10)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_INTERP:
            elf.interpreter = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    sections = _sections(data)
    for sh_type, off, size, link, _ in sections:
        if sh_type == SHT_DYNAMIC:
            strtab = sections[link][1]
            for j in range(0, size, 16):
                tag, value = struct.unpack_from("<qQ", data, off + j)
                if tag == DT_NEEDED:
                    elf.needed.append(_cstr(data, strtab + value))
                elif tag == DT_SONAME:
                    elf.soname = _cstr(data, strtab + value)
                elif tag in (DT_RPATH, DT_RUNPATH):
                    elf.search += _cstr(data, strtab + value).split(":")
    elf.versions = _needed_versions(data, sections)
    # A library: ET_DYN without a loader, or with a SONAME (glibc's libc.so.6 runs as a program too).
    elf.shared = e_type == 3 and (elf.interpreter is None or elf.soname is not None)
    return elf


def _needed_versions(data: bytes, sections) -> dict[str, tuple[str, list[str]]]:
    """SHT_GNU_verneed: each needed version, the library it is needed from, the symbols using it."""
    versions: dict[str, tuple[str, list[str]]] = {}
    by_index: dict[int, str] = {}
    for sh_type, off, _, link, _ in sections:
        if sh_type != SHT_VERNEED:
            continue
        strtab, entry = sections[link][1], off
        while True:
            _, count, file_name, aux, next_entry = struct.unpack_from("<HHIII", data, entry)
            library, at = _cstr(data, strtab + file_name), entry + aux
            for _ in range(count):
                _, _, other, name, next_aux = struct.unpack_from("<IHHII", data, at)
                versions[_cstr(data, strtab + name)] = (library, [])
                by_index[other] = _cstr(data, strtab + name)
                at += next_aux
            if not next_entry:
                break
            entry += next_entry
    symbols = next((s for s in sections if s[0] == SHT_DYNSYM), None)
    versym = next((s for s in sections if s[0] == SHT_VERSYM), None)
    if symbols and versym:
        strtab = sections[symbols[3]][1]
        for k in range(symbols[2] // 24):
            index, = struct.unpack_from("<H", data, versym[1] + 2 * k)
            name, = struct.unpack_from("<I", data, symbols[1] + 24 * k)
            if index & 0x7FFF in by_index:
                versions[by_index[index & 0x7FFF]][1].append(_cstr(data, strtab + name))
    return versions


# ---- a layer: its files and symlinks, from a zip or a directory ------------------------------------


class Layer:
    """Files of one layer by path relative to the layer root (what Lambda puts under /opt)."""

    def __init__(self, source: Path):
        self.source = source
        self.links: dict[str, str] = {}
        self.files: dict[str, int] = {}  # path → size
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                rel = path.relative_to(source).as_posix()
                if path.is_symlink():
                    self.links[rel] = str(path.readlink())
                elif path.is_file():
                    self.files[rel] = path.stat().st_size
        else:
            self._zip = zipfile.ZipFile(source)
            for info in self._zip.infolist():
                if stat.S_ISLNK(info.external_attr >> 16):
                    self.links[info.filename] = self._zip.read(info).decode()
                elif not info.is_dir():
                    self.files[info.filename] = info.file_size

    def read(self, rel: str, size: int | None = None) -> bytes:
        if self.source.is_dir():
            with open(self.source / rel, "rb") as f:
                return f.read(size if size is not None else -1)
        with self._zip.open(rel) as f:
            return f.read(size if size is not None else -1)

    def resolve(self, rel: str) -> str | None:
        """The regular file a path names, following the layer's symlinks; None if there is none."""
        for _ in range(40):
            rel = posixpath.normpath(rel)
            parts = rel.split("/")
            for i in range(1, len(parts) + 1):  # a symlinked directory on the way
                head = "/".join(parts[:i])
                if head in self.links:
                    target = self.links[head]
                    base = posixpath.dirname(head)
                    if target.startswith("/"):
                        if not target.startswith(LAYER_ROOT + "/"):
                            return None
                        target, base = target[len(LAYER_ROOT) + 1:], ""
                    rel = posixpath.join(base, target, *parts[i:])
                    break
            else:
                return rel if rel in self.files else None
        return None

    def elfs(self) -> Iterator[tuple[str, Elf]]:
        for rel in sorted(self.files):
            if self.files[rel] >= 64 and self.read(rel, 4) == b"\x7fELF":
                elf = parse_elf(self.read(rel))
                if elf is not None:
                    yield rel, elf


# ---- the checks ---------------------------------------------------------------------------------


def _glibc_version(name: str) -> tuple[int, ...] | None:
    found = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)*)", name)
    return tuple(int(x) for x in found.group(1).split(".")) if found else None


def _search_dirs(rel: str, elf: Elf) -> list[str]:
    """RPATH/RUNPATH of an ELF at `rel` as directories of the layer ($ORIGIN expanded)."""
    dirs = []
    for entry in elf.search:
        entry = entry.replace("${ORIGIN}", "$ORIGIN")
        if entry.startswith("$ORIGIN"):
            dirs.append(posixpath.normpath(posixpath.dirname(rel) + entry[len("$ORIGIN"):]))
        elif entry.startswith(LAYER_ROOT + "/"):
            dirs.append(entry[len(LAYER_ROOT) + 1:])
    return dirs


class Checker:
    """The checks of one layer; `problems` says what fails, each naming the file (and symbol)."""

    def __init__(self, layer: Layer):
        self.layer = layer
        self.elfs = dict(layer.elfs())
        self.by_name: dict[str, list[str]] = {}
        for rel, elf in self.elfs.items():
            if elf.shared:
                for name in {posixpath.basename(rel), elf.soname} - {None}:
                    self.by_name.setdefault(name, []).append(rel)
        self.problems: list[str] = []

    def find(self, rel: str, elf: Elf, name: str, by_name: bool = True) -> str | None:
        """Where the loader would find library `name` needed by the ELF at `rel`, inside the layer:
        its RPATH/RUNPATH, else (by_name) a library of that name in its tree, as one loaded first
        (libjvm.so) or found through the wrapper's --library-path."""
        for directory in _search_dirs(rel, elf):
            found = self.layer.resolve(posixpath.join(directory, name))
            if found in self.elfs:
                return found
        if not by_name:
            return None
        tree = rel.split("/", 1)[0]
        return next((r for r in self.by_name.get(name, ()) if r.split("/", 1)[0] == tree), None)

    def own_loader(self, tree: str) -> bool:
        return any(r.split("/", 1)[0] == tree and posixpath.basename(r).startswith("ld-linux") for r in self.elfs)

    def run(self) -> list[str]:
        system_scope: set[str] = set()
        for rel, elf in self.elfs.items():
            if elf.shared:
                if not self.own_loader(rel.split("/", 1)[0]):
                    system_scope |= self._closure(rel, elf, system=True)
            elif elf.interpreter in SYSTEM_LOADERS:
                system_scope |= self._closure(rel, elf, system=True)
            elif elf.interpreter is not None:
                self._check_own_loader(rel, elf)
        for rel in sorted(system_scope):
            self._check_glibc(rel, self.elfs[rel])
        return list(dict.fromkeys(self.problems))

    def _closure(self, rel: str, elf: Elf, system: bool) -> set[str]:
        """The ELF and the layer's libraries it loads, reporting libraries found nowhere."""
        seen, todo = {rel}, [rel]
        while todo:
            current = todo.pop()
            for name in self.elfs[current].needed:
                # The system loader takes glibc from the system unless an RPATH/RUNPATH points elsewhere.
                found = self.find(current, self.elfs[current], name, by_name=not (system and name in BASE_LIBRARIES))
                if found is None and not (system and name in BASE_LIBRARIES):
                    where = "in the layer or the python3.12 image" if system else "in the layer"
                    self.problems.append(f"{current}: needs {name}, which is not {where}")
                elif found is not None and system and posixpath.basename(found) in GLIBC_FILES:
                    self.problems.append(f"{current}: the system loader would load the layer's glibc {found}")
                elif found is not None and found not in seen:
                    seen.add(found)
                    todo.append(found)
        return seen

    def _check_own_loader(self, rel: str, elf: Elf) -> None:
        interp = elf.interpreter or ""
        inside = interp[len(LAYER_ROOT) + 1:] if interp.startswith(LAYER_ROOT + "/") else None
        if inside is None or self.layer.resolve(inside) is None:
            self.problems.append(f"{rel}: its loader {interp} is neither the system's nor in the layer")
            return
        self._closure(rel, elf, system=False)

    def _check_glibc(self, rel: str, elf: Elf) -> None:
        for version, (library, symbols) in sorted(elf.versions.items()):
            number = _glibc_version(version)
            if number is not None and number > MAX_GLIBC:
                used = ", ".join(sorted(symbols)[:5]) or "no symbol named"
                self.problems.append(
                    f"{rel}: needs {version} from {library} ({used}); Lambda's glibc is "
                    f"{'.'.join(map(str, MAX_GLIBC))} and this ELF runs under the system loader")


def check_layer(source: Path) -> list[str]:
    """Problems of one layer zip or directory (empty: Lambda can run it)."""
    return Checker(Layer(source)).run()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--if-built", action="store_true", help="skip layers not built yet")
    parser.add_argument("layers", nargs="*", type=Path, help="layer zips or directories (default: the built ones)")
    args = parser.parse_args(argv)
    names = sorted({layer for _, layers in check_lambda_size.deployments().values() for layer in layers})
    sources = args.layers or [args.build_dir / "layers" / f"{name}.zip" for name in names]
    failed = False
    for source in sources:
        if not source.exists():
            print(f"{source}: not built{'' if args.if_built else ' (make layers)'}")
            failed |= not args.if_built
            continue
        problems = check_layer(source)
        print(f"{source}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  {problem}")
        failed |= bool(problems)
    if not args.layers:
        failed |= check_lambda_size.main(["--build-dir", str(args.build_dir)]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
