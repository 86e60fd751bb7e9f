"""Problem setting through the API against real MariaDB and LocalStack S3: POST /v1/problems uploads a
package archive (checked, every problem of an invalid one listed, then imported by the same function
as judge-admin), and /v1/problems/{id}/grants manages the grants judge-admin manages. Admin token only."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend import admin
from backend.api import ApiConfig, create_app
from backend.package_archive import ArchiveLimits
from backend.setters import UploadSettings
from store import repositories as repo
from store.packages import package_key
from tests.backend.test_catalogue import PROBLEMS


def tar_gz(root: Path, top: str | None = None) -> bytes:
    """`root`'s files in a tar.gz, under `top/` (None: at the archive's root)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for path in sorted(root.rglob("*")):
            name = path.relative_to(root).as_posix()
            archive.add(path, f"{top}/{name}" if top else name, recursive=False)
    return gzip.compress(raw.getvalue())


def zipped(root: Path, top: str) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            archive.write(path, f"{top}/{path.relative_to(root).as_posix()}")
    return raw.getvalue()


@pytest.fixture
def ctx(db, aws):
    user, token = admin.create_user(db, "alice")
    _, admin_token = admin.create_user(db, "setter", is_admin=True)
    uploads = UploadSettings(ArchiveLimits(max_archive_bytes=2 * 1024 * 1024, max_unpacked_bytes=8 * 1024 * 1024,
                                           max_entries=200))
    app = create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs, uploads=uploads)

    class Ctx:
        pass

    c = Ctx()
    c.db, c.aws, c.user, c.client = db, aws, user, TestClient(app)
    c.auth, c.admin = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {admin_token}"}

    def upload(data: bytes, headers=None, **params):
        return c.client.post("/v1/problems", content=data, params=params, headers=c.admin if headers is None else headers)

    c.upload = upload
    return c


@pytest.fixture
def aplusb(tmp_path) -> Path:
    copy = tmp_path / "aplusb"
    shutil.copytree(PROBLEMS / "aplusb", copy)
    return copy


def test_an_upload_imports_the_package_named_after_its_directory(ctx, aplusb):
    response = ctx.upload(tar_gz(aplusb, "aplusb"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["problem_id"], body["name"], body["created"], body["changed"], body["restricted"]) == (
        "aplusb", "A plus B", True, True, False)
    stored = ctx.aws.s3.get_object(Bucket=ctx.aws.bucket, Key=package_key(body["package_sha256"]))["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == body["package_sha256"] and len(stored) == body["package_bytes"]
    with ctx.db.transaction() as cur:
        assert repo.get_problem(cur, "aplusb").package_sha256 == body["package_sha256"]
    shown = ctx.client.get("/v1/problems/aplusb", headers=ctx.auth).json()
    assert shown["samples"][0]["input"] == (aplusb / "data" / "sample" / "1.in").read_text()


def test_the_api_and_judge_admin_import_the_same_package_the_same_way(ctx, aplusb):
    by_cli = admin.import_problem(ctx.db, aplusb, problem_id="by-cli")
    by_api = ctx.upload(tar_gz(aplusb, "aplusb"), problem_id="by-api").json()
    assert by_api["package_sha256"] == by_cli.package_sha256
    assert (by_api["limits"], by_api["type"]) == (by_cli.limits, by_cli.type)


def test_the_same_bytes_again_are_a_no_op_and_a_changed_package_a_new_version(ctx, aplusb):
    first = ctx.upload(tar_gz(aplusb, "aplusb"), restricted="true").json()
    again = ctx.upload(tar_gz(aplusb, "aplusb"))
    assert again.status_code == 200
    assert (again.json()["package_sha256"], again.json()["changed"], again.json()["created"]) == (
        first["package_sha256"], False, False)
    assert again.json()["restricted"] is True  # a re-upload without `restricted` keeps the setting
    as_zip = ctx.upload(zipped(aplusb, "aplusb")).json()  # the same files in another archive: the same package
    assert (as_zip["package_sha256"], as_zip["changed"]) == (first["package_sha256"], False)

    (aplusb / "data" / "secret" / "09-new.in").write_text("40 2\n")
    (aplusb / "data" / "secret" / "09-new.ans").write_text("42\n")
    changed = ctx.upload(tar_gz(aplusb, "aplusb"), restricted="false")
    assert changed.status_code == 200
    assert changed.json()["package_sha256"] != first["package_sha256"]
    assert (changed.json()["changed"], changed.json()["restricted"]) == (True, False)
    with ctx.db.transaction() as cur:
        assert repo.get_problem(cur, "aplusb").package_sha256 == changed.json()["package_sha256"]


def test_the_problem_id_from_the_request_the_directory_or_nowhere(ctx, aplusb):
    flat = tar_gz(aplusb)  # problem.yaml at the archive's root: no directory to name it after
    missing = ctx.upload(flat)
    assert (missing.status_code, missing.json()["error"]) == (422, "problem_id_required")
    assert ctx.upload(flat, problem_id="flat").status_code == 201
    bad_dir = ctx.upload(tar_gz(aplusb, "a plus b"))
    assert (bad_dir.status_code, bad_dir.json()["error"]) == (422, "invalid_problem_id")
    assert ctx.upload(tar_gz(aplusb, "a plus b"), problem_id="aplusb-2").json()["problem_id"] == "aplusb-2"
    (aplusb.parent / "__MACOSX").mkdir()
    (aplusb.parent / "__MACOSX" / "._problem.yaml").write_text("finder")
    (aplusb.parent / ".DS_Store").write_text("finder")
    finder = tar_gz(aplusb.parent, None)  # aplusb/ beside what macOS's archiver adds
    assert ctx.upload(finder).json()["problem_id"] == "aplusb"
    for bad in ("-dash", "x" * 65, "a/b", "ok\n"):
        refused = ctx.upload(tar_gz(aplusb, "aplusb"), problem_id=bad)
        assert (refused.status_code, refused.json()["error"]) == (422, "invalid_problem_id"), bad


def test_an_invalid_package_is_refused_with_every_problem_at_once(ctx, aplusb):
    (aplusb / "problem.yaml").write_text("name: A plus B\ntype: nonsense\nlimits:\n  memory: lots\n  output: -1\n")
    (aplusb / "data" / "secret" / "01-small.ans").unlink()
    (aplusb / "data" / "secret" / "99-orphan.ans").write_text("1\n")
    response = ctx.upload(tar_gz(aplusb, "aplusb"))
    assert (response.status_code, response.json()["error"]) == (422, "invalid_package")
    problems = response.json()["problems"]
    expected = ["problem.yaml: type: unknown", "problem.yaml: limits.memory", "problem.yaml: limits.output",
                "data/secret/01-small.ans: missing", "data/secret/99-orphan.ans: answer file without"]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)
    assert "judge-upload" not in response.text  # paths are the package's, not the server's scratch directory
    with ctx.db.transaction() as cur:
        assert repo.get_problem(cur, "aplusb") is None


def test_a_package_that_cannot_be_judged_in_time_is_refused_with_the_reason(ctx, db, aws, aplusb):
    app = create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs,
                     uploads=UploadSettings(worker_timeout_s=5))
    response = TestClient(app).post("/v1/problems", content=tar_gz(aplusb, "aplusb"), headers=ctx.admin)
    assert (response.status_code, response.json()["error"]) == (422, "problem_too_slow")
    assert "timeouts" in response.json()["problems"][0]


def test_only_an_admin_may_upload_and_only_an_archive(ctx, aplusb):
    assert ctx.upload(tar_gz(aplusb, "aplusb"), headers=ctx.auth).json()["error"] == "forbidden"
    assert ctx.upload(tar_gz(aplusb, "aplusb"), headers={}).status_code == 401
    text = ctx.upload(b"name: A plus B\n")
    assert (text.status_code, text.json()["error"]) == (415, "unsupported_archive_format")
    empty = ctx.upload(b"")
    assert (empty.status_code, empty.json()["error"]) == (415, "unsupported_archive_format")


def test_an_unsafe_archive_is_refused_through_the_api_with_its_code(ctx, aplusb):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo("aplusb/../../escape")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    response = ctx.upload(gzip.compress(raw.getvalue()))
    assert (response.status_code, response.json()["error"]) == (422, "path_traversal")
    huge = ctx.upload(b"\x1f\x8b" + bytes(3 * 1024 * 1024))  # over the 2 MiB allowed: refused before unpacking
    assert (huge.status_code, huge.json()["error"]) == (413, "archive_too_large")
    chunked = ctx.upload(iter([b"\x1f\x8b"] + [bytes(64 * 1024)] * 48))  # no Content-Length: counted as it comes
    assert (chunked.status_code, chunked.json()["error"]) == (413, "archive_too_large")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("aplusb/data/secret/big.in", b"0" * (9 * 1024 * 1024))
    response = ctx.upload(bomb.getvalue())
    assert (response.status_code, response.json()["error"]) == (413, "unpacked_too_large")


def test_grants_through_the_api_are_judge_admins_grants(ctx):
    with ctx.db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("locked", "Locked", "pass-fail", {}, "0" * 64, True))
    admin.create_user(ctx.db, "bob")
    def may() -> bool:
        listed = ctx.client.get("/v1/problems", headers=ctx.auth).json()["problems"]
        return next(p["may_submit"] for p in listed if p["problem_id"] == "locked")

    assert may() is False

    put = ctx.client.put(f"/v1/problems/locked/grants/{ctx.user.id}", headers=ctx.admin)
    assert put.status_code == 201, put.text
    assert (put.json()["user_id"], put.json()["user_name"], put.json()["problem_id"]) == (ctx.user.id, "alice", "locked")
    assert may() is True
    assert ctx.client.put("/v1/problems/locked/grants/alice", headers=ctx.admin).status_code == 200  # by name, again
    assert admin.grant(ctx.db, "bob", "locked") is True  # judge-admin grant: the same table

    listed = ctx.client.get("/v1/problems/locked/grants", headers=ctx.admin).json()
    assert (listed["restricted"], [g["user_name"] for g in listed["grants"]]) == (True, ["alice", "bob"])

    deleted = ctx.client.delete(f"/v1/problems/locked/grants/{ctx.user.id}", headers=ctx.admin)
    assert (deleted.status_code, deleted.json()["revoked"]) == (200, True)
    assert may() is False
    assert ctx.client.delete(f"/v1/problems/locked/grants/{ctx.user.id}", headers=ctx.admin).json()["revoked"] is False
    assert [g["user_name"] for g in ctx.client.get("/v1/problems/locked/grants", headers=ctx.admin).json()["grants"]] \
        == ["bob"]


def test_grants_refuse_unknown_problems_and_users_and_non_admins(ctx):
    with ctx.db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("locked", "Locked", "pass-fail", {}, "0" * 64, True))
    for method, path, code in [("GET", "/v1/problems/nope/grants", "problem_not_found"),
                               ("PUT", f"/v1/problems/nope/grants/{ctx.user.id}", "problem_not_found"),
                               ("DELETE", f"/v1/problems/nope/grants/{ctx.user.id}", "problem_not_found"),
                               ("PUT", "/v1/problems/locked/grants/nobody", "user_not_found"),
                               ("DELETE", "/v1/problems/locked/grants/nobody", "user_not_found")]:
        response = ctx.client.request(method, path, headers=ctx.admin)
        assert (response.status_code, response.json()["error"]) == (404, code), (method, path)
        refused = ctx.client.request(method, path, headers=ctx.auth)
        assert (refused.status_code, refused.json()["error"]) == (403, "forbidden"), (method, path)


def test_the_openapi_document_declares_the_new_routes_their_examples_and_errors(ctx):
    paths = ctx.client.get("/openapi.json").json()["paths"]
    upload = paths["/v1/problems"]["post"]
    assert {"200", "201", "401", "403", "413", "415", "422", "503"} <= set(upload["responses"])
    assert "application/octet-stream" in upload["requestBody"]["content"]
    assert upload["responses"]["422"]["content"]["application/json"]["example"]["problems"]
    grants = paths["/v1/problems/{problem_id}/grants/{user_id}"]
    assert {"put", "delete"} <= set(grants)
    assert {"200", "201", "403", "404"} <= set(grants["put"]["responses"])
    assert {"403", "404"} <= set(paths["/v1/problems/{problem_id}/grants"]["get"]["responses"])
    schemas = ctx.client.get("/openapi.json").json()["components"]["schemas"]
    assert all(schemas[name].get("examples") for name in ("ProblemImported", "GrantView", "GrantList", "GrantRevoked"))
