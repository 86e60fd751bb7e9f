"""Unpacking an uploaded package archive (backend/package_archive.py): each attack is refused with its
own code before anything escapes the destination, in real zip and tar.gz archives built here."""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile

import pytest

from backend.package_archive import ArchiveLimits, ArchiveRefused, archive_format, extract_archive, safe_parts

SMALL = ArchiveLimits(max_archive_bytes=1024 * 1024, max_unpacked_bytes=64 * 1024, max_entries=8)


def zip_of(*entries: tuple[str, bytes | None], modes: dict[str, int] | None = None) -> bytes:
    """A zip with these (name, content) entries; content None is a directory; `modes` sets Unix modes."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name if content is not None or name.endswith("/") else name + "/")
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = (modes or {}).get(name)
            if mode is not None:
                info.external_attr = mode << 16
            elif content is None:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
            archive.writestr(info, content or b"")
    return raw.getvalue()


def tar_gz_of(*members: tarfile.TarInfo | tuple[str, bytes], pax: dict | None = None) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT, pax_headers=pax or {}) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                name, content = member
                info = tarfile.TarInfo(name)
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue())


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def refused(data: bytes, tmp_path, limits: ArchiveLimits = SMALL) -> ArchiveRefused:
    destination = tmp_path / "out"
    destination.mkdir()
    with pytest.raises(ArchiveRefused) as caught:
        extract_archive(data, destination, limits)
    outside = sorted(p.name for p in tmp_path.iterdir())
    assert outside == ["out"], f"something was written beside the destination: {outside}"
    return caught.value


GOOD = [("p/problem.yaml", b"name: P\n"), ("p/data/secret/1.in", b"1 2\n"), ("p/data/secret/1.ans", b"3\n")]


@pytest.mark.parametrize("build", [lambda: zip_of(("p/", None), *GOOD, ("p/run.sh", b"#!/bin/sh\n")),
                                   lambda: tar_gz_of(*GOOD, ("p/run.sh", b"#!/bin/sh\n"))], ids=["zip", "tar.gz"])
def test_a_good_archive_unpacks_its_files_and_nothing_else(build, tmp_path):
    written = extract_archive(build(), tmp_path, SMALL)
    assert sorted(written) == sorted([name for name, _ in GOOD] + ["p/run.sh"])
    assert (tmp_path / "p" / "data" / "secret" / "1.ans").read_bytes() == b"3\n"
    assert stat.S_IMODE((tmp_path / "p" / "problem.yaml").stat().st_mode) == 0o644


def test_the_executable_bit_is_all_that_is_kept_of_a_mode(tmp_path):
    data = zip_of(("p/validate", b"x"), ("p/suid", b"y"), modes={"p/validate": stat.S_IFREG | 0o700,
                                                               "p/suid": stat.S_IFREG | 0o4777})
    extract_archive(data, tmp_path, SMALL)
    assert stat.S_IMODE((tmp_path / "p" / "validate").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "p" / "suid").stat().st_mode) == 0o755  # no setuid


def test_the_format_is_told_by_the_bytes_not_a_name(tmp_path):
    assert archive_format(zip_of(*GOOD)) == "zip"
    assert archive_format(tar_gz_of(*GOOD)) == "tar.gz"
    error = refused(b"Rar!\x1a\x07\x00 not an archive we take", tmp_path)
    assert (error.status, error.code) == (415, "unsupported_archive_format")


def test_an_archive_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    limits = ArchiveLimits(max_archive_bytes=100, max_unpacked_bytes=10**9, max_entries=100)
    error = refused(zip_of(("p/big", bytes(range(256)) * 4)), tmp_path, limits)
    assert (error.status, error.code) == (413, "archive_too_large")


@pytest.mark.parametrize("build", [lambda: zip_of(("p/bomb", b"\0" * (10 * 1024 * 1024))),
                                   lambda: tar_gz_of(("p/bomb", b"\0" * (10 * 1024 * 1024)))], ids=["zip", "tar.gz"])
def test_a_bomb_stops_at_the_unpacked_limit(build, tmp_path):
    data = build()
    assert len(data) < 64 * 1024  # 10 MiB of zeros compresses to a few KiB: the archive's size says nothing
    error = refused(data, tmp_path)
    assert (error.status, error.code) == (413, "unpacked_too_large")


def test_the_limit_is_on_the_sum_of_every_entry_not_each(tmp_path):
    parts = [(f"p/{i}", b"\1" * (20 * 1024)) for i in range(4)]  # 20 KiB each, 80 KiB in all, over 64
    assert refused(zip_of(*parts), tmp_path).code == "unpacked_too_large"


def test_a_zip_entry_whose_header_understates_its_size_is_not_believed(tmp_path):
    data = bytearray(zip_of(("p/liar", b"\1" * (200 * 1024))))
    # Rewrite the declared uncompressed size (local header and central directory) to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset:at + offset + 4] = (10).to_bytes(4, "little")
    error = refused(bytes(data), tmp_path)
    # Read up to what the header claims, the CRC of 10 bytes cannot match: refused, nothing kept of it.
    assert (error.status, error.code) == (422, "corrupt_archive")
    assert (tmp_path / "out" / "p" / "liar").stat().st_size == 0


def test_a_tar_header_bigger_than_the_limit_is_refused_while_read(tmp_path):
    # A pax record of 1 MiB would be read into memory whole by tarfile: the stream's bound stops it.
    limits = ArchiveLimits(max_archive_bytes=1024 * 1024, max_unpacked_bytes=1024, max_entries=2)
    error = refused(tar_gz_of(("p/x", b"1"), pax={"comment": "c" * (1024 * 1024)}), tmp_path, limits)
    assert (error.status, error.code) == (413, "unpacked_too_large")


@pytest.mark.parametrize("build", [lambda: zip_of(*[(f"p/{i}", b"") for i in range(9)]),
                                   lambda: tar_gz_of(*[(f"p/{i}", b"") for i in range(9)])], ids=["zip", "tar.gz"])
def test_too_many_entries(build, tmp_path):
    error = refused(build(), tmp_path)
    assert (error.status, error.code) == (413, "too_many_entries")


@pytest.mark.parametrize(("name", "code"), [
    ("/etc/cron.d/x", "absolute_path"), ("C:/x", "absolute_path"), ("p\\..\\x", "absolute_path"),
    ("../x", "path_traversal"), ("p/../../x", "path_traversal"), ("p/data/../../../x", "path_traversal"),
])
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_name_that_leaves_the_destination(name, code, kind, tmp_path):
    data = zip_of((name, b"owned")) if kind == "zip" else tar_gz_of((name, b"owned"))
    error = refused(data, tmp_path)
    assert (error.status, error.code) == (422, code)


def test_a_nul_or_an_empty_name():
    # zipfile and tarfile cut names at a NUL themselves; the check does not rely on that.
    for name, code in (("p\0/a", "unsafe_path"), ("./", "unsafe_path"), ("", "unsafe_path")):
        with pytest.raises(ArchiveRefused) as caught:
            safe_parts(name)
        assert caught.value.code == code, name
    assert safe_parts("./p/./data/1.in") == ("p", "data", "1.in")


@pytest.mark.parametrize("name", ["p/" + "d/" * 600 + "x", "p/" + "n" * 300], ids=["deep", "long-component"])
def test_a_name_too_long_for_the_file_system_is_refused_not_a_crash(name, tmp_path):
    error = refused(tar_gz_of((name, b"x")), tmp_path)
    assert (error.status, error.code) == (422, "unsafe_path")


@pytest.mark.parametrize("member", [special("p/link", tarfile.SYMTYPE, "/etc/passwd"),
                                    special("p/link", tarfile.SYMTYPE, "problem.yaml"),
                                    special("p/hard", tarfile.LNKTYPE, "p/problem.yaml")],
                         ids=["symlink-out", "symlink-in", "hardlink"])
def test_links_in_a_tar(member, tmp_path):
    error = refused(tar_gz_of(("p/problem.yaml", b"name: P\n"), member), tmp_path)
    assert (error.status, error.code) == (422, "link_entry")


def test_a_symlink_in_a_zip(tmp_path):
    data = zip_of(("p/problem.yaml", b"name: P\n"), ("p/link", b"/etc/passwd"),
                  modes={"p/link": stat.S_IFLNK | 0o777})
    assert refused(data, tmp_path).code == "link_entry"


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE], ids=["char", "block", "fifo"])
def test_devices_and_fifos_in_a_tar(kind, tmp_path):
    error = refused(tar_gz_of(special("p/dev", kind)), tmp_path)
    assert (error.status, error.code) == (422, "special_entry")


def test_a_device_in_a_zip(tmp_path):
    data = zip_of(("p/dev", b""), modes={"p/dev": stat.S_IFCHR | 0o666})
    assert refused(data, tmp_path).code == "special_entry"


@pytest.mark.parametrize("build", [
    lambda: tar_gz_of(("p/problem.yaml", b"name: P\n"), ("p/problem.yaml", b"name: Q\n")),
    lambda: tar_gz_of(("p/./a", b"1"), ("p/a", b"2")),  # the same path spelled twice
    lambda: tar_gz_of(("p/a", b"1"), ("p/a/b", b"2")),  # a file, then a directory of that name
], ids=["same-name", "same-path", "file-and-dir"])
def test_duplicate_entries_in_a_tar(build, tmp_path):
    error = refused(build(), tmp_path)
    assert (error.status, error.code) == (422, "duplicate_entry")


def test_duplicate_entries_in_a_zip(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = zip_of(("p/problem.yaml", b"name: P\n"), ("p/problem.yaml", b"name: Q\n"))
    assert refused(data, tmp_path).code == "duplicate_entry"


@pytest.mark.parametrize("data", [tar_gz_of(*GOOD)[:40], b"\x1f\x8b" + b"garbage" * 10, zip_of(*GOOD)[:60]],
                         ids=["truncated-gzip", "not-gzip", "truncated-zip"])
def test_a_broken_archive(data, tmp_path):
    error = refused(data, tmp_path)
    assert (error.status, error.code) == (422, "corrupt_archive")


def test_limits_from_the_environment():
    limits = ArchiveLimits.from_env({"PACKAGE_MAX_ARCHIVE_MB": "5", "PACKAGE_MAX_UNPACKED_MB": "50",
                                     "PACKAGE_MAX_ENTRIES": "100"})
    assert limits == ArchiveLimits(5 * 1024 * 1024, 50 * 1024 * 1024, 100)
    assert ArchiveLimits.from_env({}) == ArchiveLimits()
    with pytest.raises(RuntimeError, match="PACKAGE_MAX_ENTRIES"):
        ArchiveLimits.from_env({"PACKAGE_MAX_ENTRIES": "lots"})
