"""The worker's package cache (moto for S3): the database names the archive, S3 serves it once per
content hash, what comes back is checked against the hash before use, the cache stays under its bound
by dropping the least recently used, and packages from before S3 come from the database."""

import hashlib
import io
import shutil
import tarfile
import threading
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from judge.problem import load_problem
from pipeline.problem_cache import ProblemCache, ProblemNotFound, ProblemPackageError
from store.packages import PackageBucket, PackageRef, pack_package

APLUSB = Path(__file__).resolve().parents[2] / "problems" / "aplusb"
BUCKET = "oj-submissions"


class Store:
    """The database's side: the index (problem → archive) and the legacy chunks (`package_bytes`)."""

    def __init__(self, data: bytes, ref: PackageRef | None = None):
        self.data, self.fetches, self.lookups = data, 0, 0
        self.sha = hashlib.sha256(data).hexdigest()
        self.refs = {"aplusb": ref or PackageRef(self.sha)}

    def package_ref(self, problem_id: str) -> PackageRef:
        self.lookups += 1
        if problem_id not in self.refs:
            raise ProblemNotFound(problem_id)
        return self.refs[problem_id]

    def package_bytes(self, sha256: str) -> bytes:
        self.fetches += 1
        return self.data


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


class CountingS3:
    """The client, with its GETs counted."""

    def __init__(self, client):
        self.client, self.gets = client, []
        self.exceptions = client.exceptions

    def get_object(self, **kwargs):
        self.gets.append(kwargs["Key"])
        return self.client.get_object(**kwargs)


def in_bucket(s3, package_dir: Path = APLUSB) -> tuple[Store, bytes]:
    data = pack_package(package_dir)
    ref, _ = PackageBucket(s3, BUCKET).put(data)
    return Store(data, ref), data


def variant(tmp_path: Path, n: int) -> Path:
    """aplusb with another problem.yaml comment: another archive, about the same size."""
    root = tmp_path / f"v{n}"
    shutil.copytree(APLUSB, root, ignore=shutil.ignore_patterns("submissions"))
    with open(root / "problem.yaml", "a") as fh:
        fh.write(f"# variant {n}\n")
    return root


def unpacked_bytes(data: bytes) -> int:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return sum(member.size for member in tar.getmembers())


def test_a_package_is_fetched_from_s3_once_and_served_from_the_cache_after(tmp_path, s3):
    store, _ = in_bucket(s3)
    counting = CountingS3(s3)
    first = ProblemCache(tmp_path, store, counting, BUCKET).load("aplusb")
    # The next submission in this environment (a new cache object on the same /tmp, as after a
    # re-created worker) asks the database once and S3 not at all.
    second = ProblemCache(tmp_path, store, counting, BUCKET).load("aplusb")
    assert counting.gets == [f"packages/{store.sha}.tar.gz"]
    assert store.lookups == 2 and store.fetches == 0
    assert first.root == second.root == tmp_path / store.sha
    assert len(first.test_cases()) == len(second.test_cases()) > 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [store.sha]  # no download or staging left
    with pytest.raises(ProblemNotFound):
        ProblemCache(tmp_path, store, counting, BUCKET).load("nope")


def test_a_package_is_read_from_its_directory_once_while_it_stays_unpacked(tmp_path, s3, monkeypatch):
    from pipeline import problem_cache

    store, _ = in_bucket(s3)
    reads = []
    monkeypatch.setattr(problem_cache, "load_problem", lambda path: reads.append(path) or load_problem(path))
    cache = ProblemCache(tmp_path, store, CountingS3(s3), BUCKET)
    first, second = cache.load("aplusb"), cache.load("aplusb")
    assert second is first and reads == [tmp_path / store.sha] and store.lookups == 2
    shutil.rmtree(tmp_path / store.sha)  # evicted (by another environment sharing the directory)
    third = cache.load("aplusb")
    assert third is not first and len(reads) == 2 and (tmp_path / store.sha / "problem.yaml").is_file()
    assert len(third.test_cases()) == len(first.test_cases()) > 1


def test_an_object_with_another_hash_is_refused_and_not_cached(tmp_path, s3):
    store, data = in_bucket(s3)
    key = store.refs["aplusb"].object_key
    tampered = data[:-10] + b"0" * 10  # same size, other bytes
    s3.put_object(Bucket=BUCKET, Key=key, Body=tampered)
    with pytest.raises(ProblemPackageError, match="another sha256"):
        ProblemCache(tmp_path, store, s3, BUCKET).load("aplusb")
    assert list(tmp_path.iterdir()) == []
    s3.put_object(Bucket=BUCKET, Key=key, Body=data + b"more")  # longer than the index says
    with pytest.raises(ProblemPackageError, match="larger than"):
        ProblemCache(tmp_path, store, s3, BUCKET).load("aplusb")
    s3.put_object(Bucket=BUCKET, Key=key, Body=data[:100])
    with pytest.raises(ProblemPackageError, match="100 bytes"):
        ProblemCache(tmp_path, store, s3, BUCKET).load("aplusb")
    s3.delete_object(Bucket=BUCKET, Key=key)
    with pytest.raises(ProblemPackageError, match="missing or not readable"):
        ProblemCache(tmp_path, store, s3, BUCKET).load("aplusb")
    assert list(tmp_path.iterdir()) == []
    # Put right again, it is used (a refusal leaves nothing behind that would stop it).
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    assert ProblemCache(tmp_path, store, s3, BUCKET).load("aplusb").root == tmp_path / store.sha


def test_a_package_from_before_s3_comes_from_the_database_checked(tmp_path, s3):
    store = Store(pack_package(APLUSB))  # no object key: chunks in the database
    counting = CountingS3(s3)
    cache = ProblemCache(tmp_path, store, counting, BUCKET)
    assert cache.load("aplusb").root == cache.load("aplusb").root == tmp_path / store.sha
    assert store.fetches == 1 and counting.gets == []
    store.data = store.data[:-10] + b"0" * 10
    with pytest.raises(ProblemPackageError, match="another sha256"):
        ProblemCache(tmp_path / "other", store).load("aplusb")


def test_an_object_key_without_a_bucket_is_refused(tmp_path, s3):
    store, _ = in_bucket(s3)
    with pytest.raises(ProblemPackageError, match="no bucket is configured"):
        ProblemCache(tmp_path, store).load("aplusb")


def test_the_cache_stays_under_its_bound_dropping_the_least_recently_used(tmp_path, s3):
    packages = [variant(tmp_path / "src", n) for n in range(3)]
    datas = [pack_package(p) for p in packages]
    refs = [PackageBucket(s3, BUCKET).put(d)[0] for d in datas]
    store = Store(datas[0])
    store.refs = {f"p{n}": ref for n, ref in enumerate(refs)}
    size = max(unpacked_bytes(d) for d in datas)
    counting = CountingS3(s3)
    cache_dir = tmp_path / "cache"
    cache = ProblemCache(cache_dir, store, counting, BUCKET, max_bytes=int(2.5 * size))
    cache.load("p0")
    cache.load("p1")
    cache.load("p0")  # p0 is now the more recently used
    cache.load("p2")  # room for two: p1 goes
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted([refs[0].sha256, refs[2].sha256])
    assert len(counting.gets) == 3
    cache.load("p0")
    assert len(counting.gets) == 3  # still cached
    cache.load("p1")  # fetched again; p2 (used before p0's last use) goes
    assert len(counting.gets) == 4
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted([refs[0].sha256, refs[1].sha256])
    # A package bigger than the whole bound is still unpacked, alone.
    small = ProblemCache(tmp_path / "small", store, counting, BUCKET, max_bytes=size // 2)
    small.load("p0")
    small.load("p1")
    assert [p.name for p in (tmp_path / "small").iterdir()] == [refs[1].sha256]


def test_racing_environments_never_see_a_half_unpacked_package(tmp_path, s3):
    store, _ = in_bucket(s3)
    errors, counts = [], []

    def load():
        try:
            counts.append(len(ProblemCache(tmp_path, store, s3, BUCKET).load("aplusb").test_cases()))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(counts)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [store.sha]
