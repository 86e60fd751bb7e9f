"""Run the sandbox and adversarial suites again in the modes this machine does not pick by itself:
bwrap mode with a whole bwrap per run (JUDGE_SANDBOX_REUSE=0, also the fallback when reuse is
unavailable), direct mode as root (a sandbox uid, no namespaces) and direct mode without root (AWS
Lambda: one uid, no namespaces). Tests whose defence needs namespaces or a second uid skip themselves there.
The compile bombs and the JVM are left out: their defences (limits) do not depend on the mode."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SUITES = ["tests/judge/sandbox/test_sandbox.py", "tests/judge/adversarial", "tests/pipeline/test_sandbox_warm.py",
          "tests/pipeline/test_sandbox_interact.py"]
REUSE_SUITES = [*SUITES, "tests/judge/sandbox/test_reuse.py"]
NOT_SLOW = "not compile and not java"
UNPRIVILEGED_UID = 65533
nested = pytest.mark.skipif(bool(os.environ.get("JUDGE_TEST_NESTED")), reason="already the nested run")


def _report(done: subprocess.CompletedProcess) -> str:
    return (done.stdout + done.stderr)[-6000:]


def _run_suites_in_mode(suites, **mode: str) -> None:
    """Run the given suites in a nested pytest with the sandbox mode fixed by `mode`."""
    env = dict(os.environ, JUDGE_TEST_NESTED="1", **mode)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", NOT_SLOW, *suites],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=240,
    )
    assert done.returncode == 0, _report(done)


@nested
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("bwrap"), reason="needs root and bubblewrap")
def test_bwrap_mode_without_reuse():
    _run_suites_in_mode(REUSE_SUITES, JUDGE_SANDBOX_MODE="bwrap", JUDGE_SANDBOX_REUSE="0")


@nested
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_direct_mode_as_root():
    _run_suites_in_mode(SUITES, JUDGE_SANDBOX_MODE="direct")


@nested
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_direct_mode_unprivileged():
    """As Lambda runs it: an ordinary uid. The interpreter may live under a directory that uid
    cannot enter (pyenv under /root), so a private mount namespace shows it at a temp path."""
    prefix = Path(sys.base_prefix).resolve()
    site = [p for p in sys.path if p.endswith("site-packages")]
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as pydir:
        os.chown(home, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        os.chmod(pydir, 0o755)
        python = f"{pydir}/bin/{Path(os.path.realpath(sys.executable)).name}"
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "LANG": "C.UTF-8",
            "LD_LIBRARY_PATH": f"{pydir}/lib",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": ":".join([str(ROOT), *site]),
            "JUDGE_TEST_NESTED": "1",
        }
        inner = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", NOT_SLOW, *SUITES]
        script = 'mount --bind "$0" "$1" && shift && exec "$@"'
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, str(prefix), pydir, "setpriv",
             f"--reuid={UNPRIVILEGED_UID}", f"--regid={UNPRIVILEGED_UID}", "--clear-groups", *inner],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=240,
        )  # fmt: skip
    assert done.returncode == 0, _report(done)
    assert "passed" in done.stdout
