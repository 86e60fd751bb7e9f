"""The local executor's cgroups: memory enforced, CPU by memory size (weighted, or capped as in Lambda)."""

import importlib.util
from pathlib import Path

CGROUPS = (Path(__file__).resolve().parents[2] / "local" / "localstack" / "lambda_local_executor"
           / "lambda_local_executor" / "cgroups.py")


def _cgroups_module():
    """A fresh copy (it reads its root at import); the executor runs in LocalStack's own venv."""
    spec = importlib.util.spec_from_file_location("executor_cgroups", CGROUPS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _capped(tmp_path, monkeypatch):
    """The module over an empty cgroup root, with LOCAL_LAMBDA_CPU=cap (the end-to-end benchmark's)."""
    monkeypatch.setenv("LOCAL_LAMBDA_CGROUP_ROOT", str(tmp_path))
    monkeypatch.setenv("LOCAL_LAMBDA_CPU", "cap")
    (tmp_path / "memory").mkdir()
    (tmp_path / "cpu").mkdir()
    return _cgroups_module()


def test_with_the_cpu_cap_an_environment_gets_its_memorys_share_of_cpus_as_a_quota(tmp_path, monkeypatch):
    """One vCPU per 1,769 MB, capped as in Lambda."""
    cgroups = _capped(tmp_path, monkeypatch)
    group = cgroups.EnvironmentCgroup("env1", 1024)
    group.create()
    assert (group.cpu / "cpu.cfs_quota_us").read_text() == "100000"  # INIT: a whole vCPU
    group.end_init()
    assert (group.cpu / "cpu.cfs_quota_us").read_text() == str(1024 * 100_000 // 1769)  # 0.58 of a CPU
    assert (group.cpu / "cpu.shares").read_text() == str(1024 * 1024 // 1769)
    assert (group.memory / "memory.limit_in_bytes").read_text() == str(1024 << 20)
    monkeypatch.setenv("LOCAL_LAMBDA_CPU", "shares")
    shares = cgroups.EnvironmentCgroup("env2", 2048)
    shares.create()
    shares.end_init()
    assert not (shares.cpu / "cpu.cfs_quota_us").exists() and (shares.cpu / "cpu.shares").read_text() == "1185"


def test_the_init_phase_gets_one_vcpu_at_least_and_a_larger_function_keeps_its_own(tmp_path, monkeypatch):
    cgroups = _capped(tmp_path, monkeypatch)
    small, large = cgroups.EnvironmentCgroup("small", 128), cgroups.EnvironmentCgroup("large", 3538)
    small.create()
    large.create()
    assert (small.cpu / "cpu.shares").read_text() == "1024"
    assert (large.cpu / "cpu.cfs_quota_us").read_text() == "200000"  # two vCPUs, in INIT and after
    small.end_init()
    large.end_init()
    assert (small.cpu / "cpu.shares").read_text() == "74" and (small.cpu / "cpu.cfs_quota_us").read_text() == "7235"
    assert (large.cpu / "cpu.cfs_quota_us").read_text() == "200000"
