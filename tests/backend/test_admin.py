"""Problem-setter commands: package import (deterministic archive, to the package bucket or in chunks),
moving old packages to the bucket, users, grants, the CLI. MariaDB is real; S3 is moto's."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from backend import admin
from backend.admin_cli import main as admin_main
from pipeline.problem_cache import ProblemCache
from store import repositories as repo
from store.package_store import DatabasePackageStore
from store.packages import PackageBucket, PackageError, fetch_package, pack_package, store_package

REPO = Path(__file__).resolve().parents[2]


def write_package(root: Path, *, big: int = 0) -> Path:
    (root / "data" / "sample").mkdir(parents=True)
    (root / "data" / "secret").mkdir(parents=True)
    (root / "submissions" / "accepted").mkdir(parents=True)
    (root / "output_validators" / "v").mkdir(parents=True)
    (root / "problem.yaml").write_text("name: Sum Two\ntype: scoring\nlimits:\n  memory: 128\n  output: 4\n")
    (root / ".timelimit").write_text("2\n")
    (root / "data" / "sample" / "1.in").write_text("1 2\n")
    (root / "data" / "sample" / "1.ans").write_text("3\n")
    (root / "data" / "secret" / "big.in").write_bytes(os.urandom(big))  # random: gzip cannot shrink it
    (root / "data" / "secret" / "big.ans").write_text("0\n")
    (root / "output_validators" / "v" / "check.py").write_text("print()\n")
    os.chmod(root / "output_validators" / "v" / "check.py", 0o755)
    (root / "submissions" / "accepted" / "a.py").write_text("print(sum(map(int, input().split())))\n")
    return root


def names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.getnames()


def test_pack_is_deterministic_and_leaves_out_submissions(tmp_path):
    a = write_package(tmp_path / "a")
    data = pack_package(a)
    listed = names(data)
    assert "problem.yaml" in listed and ".timelimit" in listed and "data/sample/1.in" in listed
    assert not any(n.startswith("submissions") for n in listed)
    # Same content elsewhere, other mtimes: same bytes.
    b = tmp_path / "b"
    shutil.copytree(a, b)
    os.utime(b / "problem.yaml", (1, 1))
    assert pack_package(b) == data
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.getmember("output_validators/v/check.py")
        assert member.mode == 0o755 and member.mtime == 0 and member.uid == 0
        assert tar.getmember("problem.yaml").mode == 0o644


def test_pack_refuses_symlinks_leaving_the_package(tmp_path):
    pkg = write_package(tmp_path / "p")
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", pkg / "data" / "leak.in")
    with pytest.raises(PackageError, match="outside the package"):
        pack_package(pkg)


def test_import_chunks_round_trip(db, tmp_path):
    pkg = write_package(tmp_path / "sumtwo", big=300_000)
    imported = admin.import_problem(db, pkg, chunk_size=64 * 1024)
    assert imported.chunks == -(-imported.package_bytes // (64 * 1024)) >= 5
    with db.transaction() as cur:
        cur.execute("SELECT COUNT(*) AS n, MAX(LENGTH(chunk)) AS biggest FROM problem_packages WHERE sha256 = %s",
                    (imported.package_sha256,))
        stats = cur.fetchone()
        assert stats["n"] == imported.chunks and stats["biggest"] == 64 * 1024
        data = fetch_package(cur, imported.package_sha256)
        problem = repo.get_problem(cur, "sumtwo")
    assert hashlib.sha256(data).hexdigest() == imported.package_sha256
    assert data == pack_package(pkg)
    assert (problem.name, problem.type, problem.restricted) == ("Sum Two", "scoring", False)
    assert problem.limits["memory_mib"] == 128 and problem.limits["time_limit_s"] == 2.0
    from contracts.budget import worst_case
    from judge.problem import load_problem

    assert problem.limits["worst_case_s"] == round(worst_case(load_problem(pkg)).total_s, 1) > 0  # for the sweeper
    assert problem.package_sha256 == imported.package_sha256

    # The worker side: the store it reads, unpacked once into its cache, then served from it.
    cache = tmp_path / "cache"
    worker_store = DatabasePackageStore(db)
    fetches = []
    fetch = worker_store.package_bytes
    worker_store.package_bytes = lambda sha: fetches.append(sha) or fetch(sha)
    where = ProblemCache(cache, worker_store).load("sumtwo").root
    assert (where / "data" / "secret" / "big.in").read_bytes() == (pkg / "data" / "secret" / "big.in").read_bytes()
    assert not (where / "submissions").exists()
    assert [p.name for p in cache.iterdir()] == [imported.package_sha256]  # no temp dirs left behind
    assert ProblemCache(cache, worker_store).load("sumtwo").root == where
    assert fetches == [imported.package_sha256]  # the second load was a cache hit


def test_reimport_updates_row_and_stores_unchanged_package_once(db, tmp_path):
    pkg = write_package(tmp_path / "p2")
    first = admin.import_problem(db, pkg, problem_id="two", chunk_size=1024)
    again = admin.import_problem(db, pkg, problem_id="two", restricted=True, chunk_size=1024)
    assert again.package_sha256 == first.package_sha256
    (pkg / "data" / "sample" / "1.ans").write_text("4\n")
    changed = admin.import_problem(db, pkg, problem_id="two", chunk_size=1024)
    assert changed.package_sha256 != first.package_sha256
    with db.transaction() as cur:
        cur.execute("SELECT COUNT(DISTINCT sha256) AS n FROM problem_packages")
        assert cur.fetchone()["n"] == 2
        cur.execute("SELECT COUNT(*) AS n FROM problem_packages WHERE sha256 = %s", (first.package_sha256,))
        assert cur.fetchone()["n"] == first.chunks
        problem = repo.get_problem(cur, "two")
    assert problem.package_sha256 == changed.package_sha256 and problem.restricted is False


def test_fetch_detects_missing_chunks(db, tmp_path):
    data = pack_package(write_package(tmp_path / "p3", big=5000))
    with db.transaction() as cur:
        sha = store_package(cur, data, chunk_size=1000)
        cur.execute("DELETE FROM problem_packages WHERE sha256 = %s AND seq = 2", (sha,))
        with pytest.raises(PackageError, match="not contiguous"):
            fetch_package(cur, sha)
        cur.execute("DELETE FROM problem_packages WHERE sha256 = %s AND seq > 1", (sha,))
        with pytest.raises(PackageError, match="another hash"):
            fetch_package(cur, sha)
        with pytest.raises(PackageError, match="not found"):
            fetch_package(cur, "f" * 64)


def test_import_errors_are_explained(db, tmp_path):
    with pytest.raises(admin.AdminError, match="not a directory"):
        admin.import_problem(db, tmp_path / "nope")
    pkg = write_package(tmp_path / "p4")
    with pytest.raises(admin.AdminError, match="problem id"):
        admin.import_problem(db, pkg, problem_id="bad/id")


def test_problem_meta_comes_from_the_engines_loader(tmp_path):
    guess = admin.read_problem_meta(REPO / "problems" / "guess")  # 2023-07, interactive
    assert guess.name == "Guess the Number"
    assert guess.type == "pass-fail interactive"
    groups = admin.read_problem_meta(REPO / "problems" / "groups")
    assert groups.type == "scoring" and "time_limit_s" in groups.limits
    with pytest.raises(admin.AdminError, match=str(tmp_path)):
        admin.read_problem_meta(tmp_path)  # not a package: the loader's reason, with the path


def test_example_problem_imports(db):
    example = REPO / "problems" / "aplusb"
    if not example.is_dir():
        pytest.fail("problems/aplusb is part of the repository")
    imported = admin.import_problem(db, example)
    assert imported.id == "aplusb" and imported.name == "A plus B"
    assert imported.limits["memory_mib"] == 256


def test_a_samples_only_or_multi_pass_package_imports_with_what_it_is(db, tmp_path):
    from tests.judge.problem.packages import doubling_package

    samples = tmp_path / "samples"
    (samples / "data" / "sample").mkdir(parents=True)
    (samples / "problem.yaml").write_text("name: Samples only\n")
    (samples / "data" / "sample" / "1.in").write_text("1\n")
    (samples / "data" / "sample" / "1.ans").write_text("1\n")
    imported = admin.import_problem(db, samples, problem_id="samples-only")
    assert len(imported.warnings) == 1 and "judged on data/sample alone" in imported.warnings[0]
    multi = admin.import_problem(db, doubling_package(tmp_path / "doubling", passes=3), problem_id="doubling")
    assert multi.type == "pass-fail multi-pass" and multi.warnings == ()
    assert multi.limits["validation_passes"] == 3


def test_users_and_grants(db):
    user, token = admin.create_user(db, "carol")
    with pytest.raises(admin.AdminError, match="already exists"):
        admin.create_user(db, "carol")
    with pytest.raises(admin.AdminError, match="user name"):
        admin.create_user(db, "no spaces")
    with pytest.raises(admin.AdminError, match="no problem"):
        admin.grant(db, "carol", "ghost")
    with pytest.raises(admin.AdminError, match="no user"):
        admin.grant(db, "dave", "ghost")
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("locked", "L", "pass-fail", {}, "0" * 64, True))
    assert admin.grant(db, "carol", "locked") is True
    assert admin.grant(db, user.id, "locked") is False
    with db.transaction() as cur:
        assert repo.user_by_token(cur, token) == user
        assert repo.may_submit(cur, user.id, repo.get_problem(cur, "locked"))


def test_cli_commands(db, tmp_path, monkeypatch, capsys):
    cfg = db.config
    for var, value in {"DB_HOST": cfg.host, "DB_PORT": str(cfg.port), "DB_NAME": cfg.database,
                       "DB_USER": cfg.user, "DB_PASSWORD": cfg.password}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    pkg = write_package(tmp_path / "clip")
    assert admin_main(["import-problem", str(pkg), "--id", "clip", "--restricted"]) == 0
    assert '"id": "clip"' in capsys.readouterr().out
    assert admin_main(["create-user", "erin"]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert len(token.split()) == 1 and "erin" in out.err
    assert admin_main(["grant", "erin", "clip"]) == 0
    assert admin_main(["grant", "erin", "nope"]) == 2
    assert "no problem 'nope'" in capsys.readouterr().err
    with db.transaction() as cur:
        user = repo.user_by_token(cur, token)
        assert user.name == "erin"
        assert repo.may_submit(cur, user.id, repo.get_problem(cur, "clip"))
    assert admin_main(["grants", "clip"]) == 0
    assert json.loads(capsys.readouterr().out)["grants"] == [{"user_id": user.id, "user_name": "erin"}]
    assert admin_main(["revoke", "erin", "clip"]) == 0
    with db.transaction() as cur:
        assert not repo.may_submit(cur, user.id, repo.get_problem(cur, "clip"))
    assert admin_main(["revoke", "erin", "clip"]) == 0
    assert "had no grant" in capsys.readouterr().err


def test_cli_lists_every_problem_of_an_invalid_package(db, tmp_path, monkeypatch, capsys):
    cfg = db.config
    for var, value in {"DB_HOST": cfg.host, "DB_PORT": str(cfg.port), "DB_NAME": cfg.database,
                       "DB_USER": cfg.user, "DB_PASSWORD": cfg.password}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    pkg = write_package(tmp_path / "broken")
    (pkg / "problem.yaml").write_text("name: B\nlimits:\n  memory: lots\n  output: -3\n")
    assert admin_main(["import-problem", str(pkg)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if "no package bucket" not in line]
    assert err[0] == f"judge-admin: {pkg}: 2 problem(s):"
    assert [line.strip().removeprefix(f"{pkg}/").split(":")[1] for line in err[1:]] == [
        " limits.memory", " limits.output"]


def test_symlinked_directory_inside_the_package_survives_a_round_trip(tmp_path):
    pkg = write_package(tmp_path / "p")
    os.symlink("output_validators/v", pkg / "output_validator")
    with tarfile.open(fileobj=io.BytesIO(pack_package(pkg)), mode="r:gz") as archive:
        archive.extractall(tmp_path / "out", filter="data")  # as the worker's ProblemCache unpacks
    link = tmp_path / "out" / "output_validator"
    assert link.is_symlink() and (link / "check.py").read_bytes() == (pkg / "output_validators/v/check.py").read_bytes()


def test_a_problem_that_cannot_be_judged_within_the_timeouts_is_refused(db, tmp_path):
    pkg = write_package(tmp_path / "slow")
    (pkg / ".timelimit").write_text("100\n")  # a wall limit of 201 s: no sandbox call of 120 s holds it
    with pytest.raises(admin.AdminError, match="cannot be judged within the functions' timeouts.*sandbox_timeout"):
        admin.import_problem(db, pkg, problem_id="slow")
    assert admin.import_problem(db, pkg, problem_id="slow", worker_timeout_s=900, sandbox_timeout_s=600).id == "slow"


# ---- packages in the bucket -------------------------------------------------------------------------

BUCKET = "oj-submissions"


class CountingS3:
    """The moto client, with its writes and reads of package objects counted."""

    def __init__(self, client):
        self.client, self.puts, self.gets = client, [], []
        self.exceptions = client.exceptions

    def put_object(self, **kwargs):
        self.puts.append(kwargs["Key"])
        return self.client.put_object(**kwargs)

    def get_object(self, **kwargs):
        self.gets.append(kwargs["Key"])
        return self.client.get_object(**kwargs)

    def head_object(self, **kwargs):
        return self.client.head_object(**kwargs)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield CountingS3(client)


def chunk_count(db, sha: str) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM problem_packages WHERE sha256 = %s", (sha,))
        return cur.fetchone()["n"]


def test_import_writes_the_archive_to_the_bucket_once_and_indexes_it(db, tmp_path, s3):
    pkg = write_package(tmp_path / "sumtwo", big=50_000)
    packages = PackageBucket(s3, BUCKET)
    first = admin.import_problem(db, pkg, packages=packages)
    key = f"packages/{first.package_sha256}.tar.gz"
    assert (first.object_key, first.uploaded, first.chunks) == (key, True, 0)
    assert s3.puts == [key]
    head = s3.client.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentLength"] == first.package_bytes and head["Metadata"]["sha256"] == first.package_sha256
    # Same content again (another problem id, another import): nothing is written.
    again = admin.import_problem(db, pkg, problem_id="sumtwo-copy", packages=packages)
    assert (again.package_sha256, again.uploaded) == (first.package_sha256, False)
    assert s3.puts == [key]
    assert [o["Key"] for o in s3.client.list_objects_v2(Bucket=BUCKET)["Contents"]] == [key]
    assert chunk_count(db, first.package_sha256) == 0  # no copy in the database
    with db.transaction() as cur:
        cur.execute("SELECT object_key, size_bytes FROM package_objects")
        assert cur.fetchall() == [{"object_key": key, "size_bytes": first.package_bytes}]

    # The worker: the database names the archive, S3 serves it once, the cache the rest.
    cache = tmp_path / "cache"
    where = ProblemCache(cache, DatabasePackageStore(db), s3, BUCKET).load("sumtwo").root
    assert (where / "data" / "secret" / "big.in").read_bytes() == (pkg / "data" / "secret" / "big.in").read_bytes()
    assert ProblemCache(cache, DatabasePackageStore(db), s3, BUCKET).load("sumtwo-copy").root == where
    assert s3.gets == [key]

    # A new version: a new object, the row points at it, the worker fetches it (and never the old).
    (pkg / "data" / "sample" / "1.ans").write_text("4\n")
    changed = admin.import_problem(db, pkg, packages=packages)
    assert changed.uploaded and changed.package_sha256 != first.package_sha256
    assert ProblemCache(cache, DatabasePackageStore(db), s3, BUCKET).load("sumtwo").root == cache / changed.package_sha256
    assert s3.gets == [key, changed.object_key]


def test_an_object_at_the_key_that_is_not_the_archive_is_replaced_at_import(db, tmp_path, s3):
    pkg = write_package(tmp_path / "p")
    data = pack_package(pkg)
    sha = hashlib.sha256(data).hexdigest()
    s3.client.put_object(Bucket=BUCKET, Key=f"packages/{sha}.tar.gz", Body=b"truncated")
    imported = admin.import_problem(db, pkg, packages=PackageBucket(s3, BUCKET))
    assert imported.uploaded
    assert s3.client.get_object(Bucket=BUCKET, Key=imported.object_key)["Body"].read() == data


def test_packages_from_before_the_bucket_are_read_from_the_database_then_moved(db, tmp_path, s3):
    legacy = admin.import_problem(db, write_package(tmp_path / "old", big=3000), chunk_size=1024)  # no bucket
    assert legacy.object_key is None and legacy.chunks > 1
    worker_store = DatabasePackageStore(db)
    assert worker_store.package_ref("old").object_key is None
    # The worker falls back to the chunks (checked against the hash) and never asks S3.
    root = ProblemCache(tmp_path / "c1", worker_store, s3, BUCKET).load("old").root
    assert root == tmp_path / "c1" / legacy.package_sha256 and s3.gets == []

    packages = PackageBucket(s3, BUCKET)
    moved, deleted = admin.move_packages(db, packages)
    assert [ref.sha256 for ref in moved] == [legacy.package_sha256] and deleted == 0
    assert chunk_count(db, legacy.package_sha256) == legacy.chunks  # kept until asked
    ref = worker_store.package_ref("old")
    assert ref.object_key == f"packages/{legacy.package_sha256}.tar.gz" and ref.size_bytes == legacy.package_bytes
    ProblemCache(tmp_path / "c2", worker_store, s3, BUCKET).load("old")
    assert s3.gets == [ref.object_key]
    # Again: nothing left to move; with --delete-chunks, the database copy goes (it is in the bucket).
    puts = len(s3.puts)
    moved, deleted = admin.move_packages(db, packages, delete_chunks=True)
    assert moved == [] and deleted == legacy.chunks and len(s3.puts) == puts
    assert chunk_count(db, legacy.package_sha256) == 0
    ProblemCache(tmp_path / "c3", worker_store, s3, BUCKET).load("old")


def test_a_legacy_package_with_a_missing_chunk_ends_as_a_package_error(db, tmp_path):
    from contracts.errors import ProblemPackageError

    legacy = admin.import_problem(db, write_package(tmp_path / "gap", big=5000), chunk_size=1000)
    with db.transaction() as cur:
        cur.execute("DELETE FROM problem_packages WHERE sha256 = %s AND seq = 1", (legacy.package_sha256,))
    with pytest.raises(ProblemPackageError, match="not contiguous"):
        ProblemCache(tmp_path / "c", DatabasePackageStore(db)).load("gap")


def test_cli_imports_into_the_bucket_and_moves_old_packages(db, tmp_path, monkeypatch, capsys, s3):
    import json

    cfg = db.config
    for var, value in {"DB_HOST": cfg.host, "DB_PORT": str(cfg.port), "DB_NAME": cfg.database,
                       "DB_USER": cfg.user, "DB_PASSWORD": cfg.password}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    monkeypatch.delenv("PACKAGE_BUCKET", raising=False)
    assert admin_main(["import-problem", str(write_package(tmp_path / "old")), "--id", "old"]) == 0
    out = capsys.readouterr()
    assert "stored in the database" in out.err and json.loads(out.out)["object_key"] is None
    assert admin_main(["move-packages"]) == 2
    assert "--bucket or $PACKAGE_BUCKET" in capsys.readouterr().err
    monkeypatch.setenv("PACKAGE_BUCKET", BUCKET)
    assert admin_main(["import-problem", str(write_package(tmp_path / "new", big=10)), "--id", "new"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["uploaded"] is True and printed["object_key"].startswith("packages/")
    assert admin_main(["move-packages", "--delete-chunks"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed["moved"]) == 1 and printed["chunks_deleted"] == 1
    keys = {o["Key"] for o in s3.client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert len(keys) == 2 and all(k.startswith("packages/") and k.endswith(".tar.gz") for k in keys)


def test_judge_admin_finds_the_running_local_stack_with_nothing_set(db, tmp_path, monkeypatch, capsys, localstack):
    """`make run`'s settings file, and no DB_* at all: judge-admin imports into that stack's database and
    bucket (LocalStack's S3, as the stack's workers read it)."""
    import json

    from backend import stack_settings

    bucket = f"stack-{os.getpid()}"
    localstack.client("s3").create_bucket(Bucket=bucket)
    cfg = db.config
    settings = {"DB_HOST": cfg.host, "DB_PORT": str(cfg.port), "DB_NAME": cfg.database, "DB_USER": cfg.user,
                "DB_PASSWORD": cfg.password, "PACKAGE_BUCKET": bucket, **localstack.client_env()}
    path = tmp_path / "state" / stack_settings.FILE_NAME
    stack_settings.write(path, settings)
    for name in [*settings, "DB_SECRET_ARN", "AWS_PROFILE"]:
        # Set, then deleted: monkeypatch then removes at teardown what judge-admin sets from the file
        # (a delenv of an unset variable records nothing, and AWS_ENDPOINT_URL would leak into later tests).
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("JUDGE_STACK_SETTINGS", str(path))

    assert admin_main(["import-problem", str(write_package(tmp_path / "viastack")), "--id", "viastack"]) == 0
    out = capsys.readouterr()
    assert f"local stack's settings ({path})" in out.err
    assert json.loads(out.out)["object_key"].startswith("packages/")
    with db.transaction() as cur:
        assert repo.get_problem(cur, "viastack") is not None
    keys = [o["Key"] for o in localstack.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [json.loads(out.out)["object_key"]]


def test_a_broken_stack_settings_file_is_a_clear_error(tmp_path, monkeypatch, capsys):
    path = tmp_path / "backend.env.json"
    path.write_text("{not json")
    for name in ("DB_HOST", "DB_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUDGE_STACK_SETTINGS", str(path))
    assert admin_main(["create-user", "x"]) == 2
    assert "not the JSON a local stack writes" in capsys.readouterr().err
