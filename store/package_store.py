"""The worker's view of the database: problem packages by content hash (`pipeline.problem_cache`'s
PackageStore), and the optional direct result update (the same idempotent rule the consumer applies)."""

from __future__ import annotations

from contracts.errors import ProblemNotFound
from contracts.messages import CompletionMessage
from store import repositories as repo
from store.config import Database
from store.packages import fetch_package


class DatabasePackageStore:
    def __init__(self, db: Database):
        self.db = db

    @classmethod
    def from_environment(cls) -> DatabasePackageStore:
        return cls(Database.from_env())  # DB_SECRET_ARN (AWS) or DB_HOST/DB_USER/... (local)

    def package_sha256(self, problem_id: str) -> str:
        with self.db.transaction() as cur:
            problem = repo.get_problem(cur, problem_id)
        if problem is None:
            raise ProblemNotFound(problem_id)
        return problem.package_sha256

    def package_bytes(self, sha256: str) -> bytes:
        with self.db.transaction() as cur:
            return fetch_package(cur, sha256)

    def apply_completion(self, message: CompletionMessage) -> None:
        with self.db.transaction() as cur:
            repo.apply_status(cur, message.submission_id, message.attempt, message.status,
                              result=message.result, reason=message.reason)
