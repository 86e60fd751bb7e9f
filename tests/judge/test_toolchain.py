"""What a compile or run needs from the toolchain besides the tool's path."""

import sys

from judge import toolchain


def test_a_shared_libpython_interpreter_gets_its_library_directory(tmp_path, monkeypatch):
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / f"libpython{version}.so.1.0").write_bytes(b"")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / f"python{version}").write_bytes(b"")
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path))
    toolchain.resolve_tool.cache_clear()
    try:
        env = toolchain.tool_env(["python"])
        assert env["LD_LIBRARY_PATH"] == str(tmp_path / "lib")  # Lambda's /var/lang/lib
        assert env["PATH"].split(":")[0] == str(tmp_path / "bin")
        (tmp_path / "lib" / f"libpython{version}.so.1.0").unlink()
        assert "LD_LIBRARY_PATH" not in toolchain.tool_env(["python"])  # a static build needs none
    finally:
        toolchain.resolve_tool.cache_clear()
