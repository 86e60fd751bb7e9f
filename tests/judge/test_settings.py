"""Settings that must hold in Lambda, where HOME is unset and only /tmp is writable."""

from pathlib import Path

from judge import settings


def test_the_cache_is_under_tmp_in_lambda_and_never_under_home():
    lambda_env = {"AWS_LAMBDA_FUNCTION_NAME": "judge-worker-cpp", "HOME": "/home/sbx_user1051"}
    assert settings.current(lambda_env).cache_dir == Path("/tmp/judge-cache")
    assert settings.current({}).cache_dir == Path("/tmp/judge-cache")  # no HOME at all


def test_the_cache_is_under_home_on_a_developer_machine_and_overridable():
    assert settings.current({"HOME": "/home/dev"}).cache_dir == Path("/home/dev/.cache/judge")
    assert settings.current({"HOME": "/home/dev", "JUDGE_CACHE_DIR": "/c"}).cache_dir == Path("/c")
