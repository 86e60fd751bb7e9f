"""What a client can discover before it submits: the languages (from the language table, with the
compiler version the sandbox functions reported) and the problems (limits, samples, whether this
user may submit). No HTTP here; backend/api maps these to routes.

A restricted problem the user is not granted is listed (so a client can show it locked) but never
with its samples: they are read from the package only for a user who may submit.
"""

from __future__ import annotations

import tarfile
import threading
from collections import OrderedDict
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from judge.languages import LANGUAGES
from store import repositories as repo
from store.config import Database
from store.packages import (
    PackageError,
    Sample,
    fetch_package,
    fetch_package_object,
    package_samples,
    problem_package_ref,
)

SAMPLE_CACHE_PACKAGES = 64  # packages are content-addressed: a cached entry never goes stale


@dataclass(frozen=True)
class LanguageInfo:
    name: str
    display_name: str
    compiler: str
    compiler_version: str | None  # None until a sandbox function has compiled in this language
    version_reported_at: object | None
    source_file_name: str
    extensions: tuple[str, ...]
    compile_command: str | None
    run_command: str


@dataclass(frozen=True)
class ProblemInfo:
    id: str
    name: str
    type: str
    limits: dict
    may_submit: bool
    samples: list[Sample] | None  # None: not for this user to see (or not asked for: the list)


class NoSuchProblem(LookupError):
    pass


class SamplesUnavailable(RuntimeError):
    """The package could not be read (the bucket unreachable, an archive that is not the one named)."""


class Catalogue:
    def __init__(self, db: Database, s3, package_bucket: str):
        self.db, self.s3, self.package_bucket = db, s3, package_bucket
        self._samples: OrderedDict[str, list[Sample]] = OrderedDict()
        self._lock = threading.Lock()

    def languages(self) -> list[LanguageInfo]:
        with self.db.transaction() as cur:
            reported = repo.toolchains(cur)
        out = []
        for language in LANGUAGES.values():
            seen = reported.get(language.name) or {}
            out.append(LanguageInfo(
                language.name, language.display_name, language.compiler, seen.get("version"),
                seen.get("reported_at"), language.source_name, language.extensions,
                language.command_line(language.compile), language.command_line(language.run)))
        return out

    def problems(self, user: repo.User) -> list[ProblemInfo]:
        with self.db.transaction() as cur:
            rows = repo.problems_for(cur, user.id)
        return [ProblemInfo(p.id, p.name, p.type, p.limits, may, None) for p, may in rows]

    def problem(self, user: repo.User, problem_id: str) -> ProblemInfo:
        with self.db.transaction() as cur:
            problem = repo.get_problem(cur, problem_id) if len(problem_id) <= 64 else None
            if problem is None:
                raise NoSuchProblem(problem_id)
            may = repo.may_submit(cur, user.id, problem)
        return ProblemInfo(problem.id, problem.name, problem.type, problem.limits, may,
                           self._samples_of(problem) if may else None)

    def _samples_of(self, problem: repo.Problem) -> list[Sample]:
        with self._lock:
            if problem.package_sha256 in self._samples:
                self._samples.move_to_end(problem.package_sha256)
                return self._samples[problem.package_sha256]
        try:
            with self.db.transaction() as cur:
                ref = problem_package_ref(cur, problem.id)
                data = fetch_package(cur, ref.sha256) if ref.object_key is None else None
            if data is None:
                data = fetch_package_object(self.s3, self.package_bucket, ref)
            samples = package_samples(data)
        except (PackageError, tarfile.TarError, OSError, BotoCoreError, ClientError) as error:
            raise SamplesUnavailable(f"the package of {problem.id!r} could not be read: {error}") from error
        with self._lock:
            self._samples[ref.sha256] = samples
            while len(self._samples) > SAMPLE_CACHE_PACKAGES:
                self._samples.popitem(last=False)
        return samples
