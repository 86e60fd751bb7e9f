"""The worker's view of the database: where a problem's package is (`pipeline.problem_cache`'s
PackageStore: one small query per submission), the fallback to packages stored as chunks, and the
optional direct result update (the same idempotent rule the consumer applies)."""

from __future__ import annotations

from contracts.errors import ProblemNotFound, ProblemPackageError
from contracts.messages import CompletionMessage
from store import repositories as repo
from store.config import Database
from store.packages import PackageError, PackageRef, fetch_package, problem_package_ref


class DatabasePackageStore:
    def __init__(self, db: Database):
        self.db = db

    @classmethod
    def from_environment(cls) -> DatabasePackageStore:
        return cls(Database.from_env())  # DB_SECRET_ARN (AWS) or DB_HOST/DB_USER/... (local)

    def package_ref(self, problem_id: str) -> PackageRef:
        with self.db.transaction() as cur:
            ref = problem_package_ref(cur, problem_id)
        if ref is None:
            raise ProblemNotFound(problem_id)
        return ref

    def package_bytes(self, sha256: str) -> bytes:
        """A package imported before packages moved to S3 (chunks in the database), checked."""
        try:
            with self.db.transaction() as cur:
                return fetch_package(cur, sha256)
        except PackageError as error:
            raise ProblemPackageError(str(error)) from None

    def record_toolchain(self, language: str, version: str) -> None:
        with self.db.transaction() as cur:
            repo.record_toolchain(cur, language, version)

    def apply_completion(self, message: CompletionMessage) -> None:
        with self.db.transaction() as cur:
            repo.apply_status(cur, message.submission_id, message.attempt, message.status,
                              result=message.result, reason=message.reason)
