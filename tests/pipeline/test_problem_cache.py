"""The worker's package cache: one fetch per content hash, safe when environments race."""

import hashlib
import threading
from pathlib import Path

import pytest

from pipeline.problem_cache import ProblemCache, ProblemNotFound
from store.packages import pack_package

APLUSB = Path(__file__).resolve().parents[2] / "problems" / "aplusb"


class Store:
    def __init__(self, data: bytes):
        self.data, self.fetches = data, 0
        self.sha = hashlib.sha256(data).hexdigest()

    def package_sha256(self, problem_id: str) -> str:
        if problem_id != "aplusb":
            raise ProblemNotFound(problem_id)
        return self.sha

    def package_bytes(self, sha256: str) -> bytes:
        self.fetches += 1
        return self.data


def test_package_is_fetched_once_and_reused(tmp_path):
    store = Store(pack_package(APLUSB))
    cache = ProblemCache(tmp_path, store)
    first, second = cache.load("aplusb"), cache.load("aplusb")
    assert store.fetches == 1 and first.root == second.root == tmp_path / store.sha
    assert len(first.test_cases()) == len(second.test_cases()) > 1
    with pytest.raises(ProblemNotFound):
        cache.load("nope")


def test_racing_environments_never_see_a_half_unpacked_package(tmp_path):
    store = Store(pack_package(APLUSB))
    errors, counts = [], []

    def load():
        try:
            counts.append(len(ProblemCache(tmp_path, store).load("aplusb").test_cases()))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(counts)) == 1


def test_corrupt_package_is_refused(tmp_path):
    store = Store(pack_package(APLUSB))
    store.data = store.data[:-10] + b"0" * 10
    with pytest.raises(ValueError, match="corrupt"):
        ProblemCache(tmp_path, store).load("aplusb")
