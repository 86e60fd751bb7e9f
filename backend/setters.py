"""What a problem setter's admin token may do through the API: upload a problem package, and grant
(or take back) a restricted problem. No HTTP here (backend/api holds the routes); the work is
`backend.admin`'s, the same functions `judge-admin` runs, so the CLI and the API import alike.

Upload: the archive (zip or tar.gz, told by its bytes) is unpacked by `backend.package_archive` into
a private temporary directory, then imported by `admin.import_problem` from there and the directory
removed. The problem id is, in this order: the `problem_id` the request names; else the name of
the archive's one top-level directory (as `judge-admin import-problem DIR` takes the directory's
name); else (problem.yaml at the archive's root) the request must name it, 422
`problem_id_required`. Either way it must keep the contract's PROBLEM_ID rule (422
`invalid_problem_id`). problem.yaml carries no id of its own (its `name` is a title).

The package imported is repacked deterministically (`store.packages.pack_package`), so the same
files give the same sha256 whatever archive brought them: uploading the same bytes again is a no-op
(200, `changed: false`), and so is the same tree zipped instead of tarred.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backend import admin
from backend.intake import Rejected
from backend.package_archive import ArchiveLimits, ArchiveRefused, extract_archive
from contracts.budget import DEFAULT_SANDBOX_TIMEOUT_S, DEFAULT_WORKER_TIMEOUT_S
from contracts.messages import PROBLEM_ID
from store import repositories as repo
from store.config import Database
from store.packages import PackageBucket

log = logging.getLogger(__name__)

# The HTTP status of each refusal `backend.admin` explains with a code.
_STATUS = {"problem_not_found": 404, "user_not_found": 404}


@dataclass(frozen=True)
class UploadSettings:
    limits: ArchiveLimits = ArchiveLimits()
    worker_timeout_s: float = DEFAULT_WORKER_TIMEOUT_S  # what a problem's worst case must fit in
    sandbox_timeout_s: float = DEFAULT_SANDBOX_TIMEOUT_S

    @classmethod
    def from_env(cls) -> UploadSettings:
        """PACKAGE_MAX_* (backend/package_archive.py), WORKER_TIMEOUT_SECONDS and SANDBOX_TIMEOUT_SECONDS
        (the deployed functions' timeouts, as judge-admin reads them)."""
        worker, sandbox = admin.deployed_timeouts()
        return cls(ArchiveLimits.from_env(), worker, sandbox)


class Setters:
    def __init__(self, db: Database, packages: PackageBucket | None, settings: UploadSettings = UploadSettings()):
        self.db, self.packages, self.settings = db, packages, settings

    def require_admin(self, user: repo.User) -> None:
        with self.db.transaction() as cur:
            if not repo.is_admin(cur, user.id):
                raise Rejected(403, "forbidden", "managing problems needs an admin token")

    def upload(self, user: repo.User, data: bytes, *, problem_id: str | None = None,
               restricted: bool | None = None) -> admin.ImportedProblem:
        """Unpack, check and import a package archive. `restricted` None keeps what the problem had."""
        self.require_admin(user)
        if problem_id is not None and PROBLEM_ID.problem(problem_id):
            raise Rejected(422, PROBLEM_ID.code, PROBLEM_ID.problem(problem_id))
        scratch = Path(tempfile.mkdtemp(prefix="judge-upload-"))  # 0700: this process's alone
        try:
            try:
                extract_archive(data, scratch, self.settings.limits)
            except ArchiveRefused as refused:
                raise Rejected(refused.status, refused.code, refused.message) from None
            root, pid = _package_root(scratch, problem_id)
            try:
                imported = admin.import_problem(
                    self.db, root, problem_id=pid, restricted=restricted, packages=self.packages,
                    worker_timeout_s=self.settings.worker_timeout_s, sandbox_timeout_s=self.settings.sandbox_timeout_s)
            except admin.AdminError as error:
                raise _rejected(error, root) from None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        log.info("problem %s uploaded by %s (%s, %s)", imported.id, user.id, imported.package_sha256[:12],
                 "new" if imported.created else "changed" if imported.changed else "unchanged")
        return _relative(imported, root)

    def grant(self, user: repo.User, problem_id: str, grantee: str) -> tuple[repo.Grant, bool]:
        """Grant `grantee` (a user id or name) the problem; the grant and whether it is new."""
        self.require_admin(user)
        try:
            created = admin.grant(self.db, grantee, problem_id)
            _, granted = admin.grants(self.db, problem_id)
        except admin.AdminError as error:
            raise _rejected(error) from None
        # `grantee` names the user as judge-admin reads it: a name first, else an id.
        by_name = [g for g in granted if g.user_name == grantee]
        return (by_name or [g for g in granted if g.user_id == grantee])[0], created

    def revoke(self, user: repo.User, problem_id: str, grantee: str) -> bool:
        self.require_admin(user)
        try:
            return admin.revoke(self.db, grantee, problem_id)
        except admin.AdminError as error:
            raise _rejected(error) from None

    def grants(self, user: repo.User, problem_id: str) -> tuple[repo.Problem, list[repo.Grant]]:
        self.require_admin(user)
        try:
            return admin.grants(self.db, problem_id)
        except admin.AdminError as error:
            raise _rejected(error) from None


def _package_root(scratch: Path, problem_id: str | None) -> tuple[Path, str]:
    """Where the package is in what the archive held, and its id (see the module's docstring)."""
    # What an archiver adds beside the package (macOS: __MACOSX/, .DS_Store) does not count.
    top = [p for p in scratch.iterdir() if p.name != "__MACOSX" and not p.name.startswith(".")]
    if not (scratch / "problem.yaml").exists() and len(top) == 1 and top[0].is_dir():
        root = top[0]
        pid = problem_id or root.name
        if PROBLEM_ID.problem(pid):
            raise Rejected(422, PROBLEM_ID.code, f"the archive's directory names the problem: {PROBLEM_ID.problem(pid)}; "
                           "name another with problem_id")
        return root, pid
    if problem_id is None:
        raise Rejected(422, "problem_id_required", "the archive has no single top-level directory to name the "
                       "problem after: send problem_id")
    return scratch, problem_id


def _rejected(error: admin.AdminError, root: Path | None = None) -> Rejected:
    """The refusal, with paths relative to the package (the scratch directory is nobody's business)."""
    if not error.problems:
        return Rejected(_STATUS.get(error.code, 422), error.code, _strip(str(error), root))
    problems = [_strip(p, root) for p in error.problems]
    return Rejected(422, error.code, f"the package is refused: {len(problems)} problem(s), each in `problems`",
                    problems=problems)


def _strip(text: str, root: Path | None) -> str:
    for prefix in {str(root), str(root.resolve())} if root is not None else ():
        text = text.replace(f"{prefix}/", "").replace(prefix, ".")
    return text


def _relative(imported: admin.ImportedProblem, root: Path) -> admin.ImportedProblem:
    return dataclasses.replace(imported, warnings=tuple(_strip(w, root) for w in imported.warnings))
