"""The problem setter's routes (admin token): upload a package, grant and revoke a restricted problem.
The rules are backend/setters.py's; here are only HTTP and the OpenAPI document."""

# No `from __future__ import annotations`: FastAPI evaluates the endpoint annotations (see app.py).
import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from backend.admin import ImportedProblem
from backend.intake import Rejected
from backend.setters import Setters
from store import repositories as repo


class RefusalBody(BaseModel):
    error: str = Field(description="machine-readable code")
    message: str
    problems: list[str] | None = Field(None, description="an invalid package: every problem found, each naming "
                                                         "the file (relative to the package) and the field")


class ProblemImported(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "problem_id": "aplusb", "name": "A plus B", "type": "pass-fail", "restricted": True,
        "limits": {"time_limit_s": 1.0, "memory_mib": 2048, "worst_case_s": 71.5},
        "package_sha256": "9f2c5b0e4d1a7c3e8b6f0a2d4c6e8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f",
        "package_bytes": 2311, "created": True, "changed": True,
        "warnings": ["data/secret: no test cases; judged on data/sample alone, as DOMjudge does"]}]})
    problem_id: str
    name: str
    type: str
    restricted: bool
    limits: dict
    package_sha256: str = Field(description="sha256 of the package as stored (repacked: the same files give "
                                            "the same hash whatever archive brought them)")
    package_bytes: int
    created: bool = Field(description="true: a new problem (201); false: a new version of one (200)")
    changed: bool = Field(description="false: the same package and settings as before (an idempotent re-upload)")
    warnings: list[str] = Field(description="what the package check accepted leniently")


class GrantView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "problem_id": "aplusb", "user_id": "5a4e0c8e-2f0b-4c1e-9d7a-3b6c8e0f1a2d", "user_name": "carol",
        "granted_at": "2026-12-01T18:00:00Z"}]})
    problem_id: str
    user_id: str
    user_name: str
    granted_at: str


class GrantList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "problem_id": "aplusb", "restricted": True, "grants": [{
            "problem_id": "aplusb", "user_id": "5a4e0c8e-2f0b-4c1e-9d7a-3b6c8e0f1a2d", "user_name": "carol",
            "granted_at": "2026-12-01T18:00:00Z"}]}]})
    problem_id: str
    restricted: bool = Field(description="false: anyone may submit, grants or not")
    grants: list[GrantView]


class GrantRevoked(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "problem_id": "aplusb", "user_id": "carol", "revoked": True}]})
    problem_id: str
    user_id: str
    revoked: bool = Field(description="false: there was no grant (deleting twice is harmless)")


def _refusal(description: str, code: str, message: str, **extra: Any) -> dict:
    return {"model": RefusalBody, "description": description,
            "content": {"application/json": {"example": {"error": code, "message": message, **extra}}}}


_AUTH = {401: _refusal("no or unknown bearer token", "unauthorized", "unknown token"),
         403: _refusal("the token is not an admin's", "forbidden", "managing problems needs an admin token")}
_UNKNOWN = {404: _refusal("no such problem, or (grants) no such user", "problem_not_found", "no problem 'nope' "
                          "(import it first)")}
_UPLOAD_ERRORS = {
    **_AUTH,
    413: _refusal("archive_too_large (over PACKAGE_MAX_ARCHIVE_MB), unpacked_too_large (a zip or gzip bomb: counted "
                  "while unpacking), too_many_entries", "unpacked_too_large", "unpacks to more than 536870912 bytes"),
    415: _refusal("unsupported_archive_format: neither zip nor tar.gz by its first bytes",
                  "unsupported_archive_format", "not a zip or tar.gz archive (told by its first bytes, not its name)"),
    422: _refusal("an unsafe archive (absolute_path, path_traversal, unsafe_path, link_entry, special_entry, "
                  "duplicate_entry, corrupt_archive), a bad id (invalid_problem_id, problem_id_required), or an "
                  "invalid package (invalid_package, problem_too_slow: `problems` lists every one)",
                  "invalid_package", "the package is refused: 2 problem(s), each in `problems`",
                  problems=["problem.yaml: limits.time_limit: must be a positive number, got -1",
                            "data/secret/2.ans: answer file without 2.in"]),
    503: _refusal("the database is unreachable", "database_unavailable", "the database is unreachable; retry later"),
}
_GRANT_ERRORS = {**_AUTH, **_UNKNOWN,
                 503: _UPLOAD_ERRORS[503]}
_ARCHIVE_BODY = {"requestBody": {"required": True, "description": "the package archive: zip or tar.gz (told by its "
                                 "bytes; the Content-Type is not read), one top-level directory or problem.yaml at "
                                 "its root", "content": {"application/octet-stream": {
                                     "schema": {"type": "string", "format": "binary"}}}}}


def _iso(value) -> str:
    return value.isoformat() + "Z" if getattr(value, "tzinfo", None) is None else value.isoformat()


def _grant_view(problem_id: str, grant: repo.Grant) -> GrantView:
    return GrantView(problem_id=problem_id, user_id=grant.user_id, user_name=grant.user_name,
                     granted_at=_iso(grant.granted_at))


def _imported(imported: ImportedProblem) -> ProblemImported:
    return ProblemImported(problem_id=imported.id, name=imported.name, type=imported.type,
                           restricted=imported.restricted, limits=imported.limits,
                           package_sha256=imported.package_sha256, package_bytes=imported.package_bytes,
                           created=imported.created, changed=imported.changed, warnings=list(imported.warnings))


async def _archive(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is over `limit`: never held whole when too large."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Rejected(413, "archive_too_large", f"archive of {declared} bytes, over the {limit} allowed")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "archive_too_large", f"archive over the {limit} bytes allowed")
        chunks.append(chunk)
    return b"".join(chunks)


def add_setter_routes(app: FastAPI, setters: Setters, current_user: Callable[..., repo.User]) -> None:
    # The upload's body is an archive, not JSON: a plain route, without the JSON routes' 1 MiB and
    # UTF-8 checks (it has its own size limit, read as it streams in).
    async def upload_problem(
        request: Request, user: Annotated[repo.User, Depends(current_user)],
        problem_id: Annotated[str | None, Query(description="the problem's id; default: the archive's top-level "
                                                            "directory")] = None,
        restricted: Annotated[bool | None, Query(description="only granted users may submit; default: a new "
                                                             "problem is open, a new version keeps its setting")] = None,
    ) -> Any:
        await asyncio.to_thread(setters.require_admin, user)  # before reading what may be 32 MiB
        data = await _archive(request, setters.settings.limits.max_archive_bytes)
        imported = await asyncio.to_thread(setters.upload, user, data, problem_id=problem_id, restricted=restricted)
        return JSONResponse(_imported(imported).model_dump(), status_code=201 if imported.created else 200)

    app.router.add_api_route(
        "/v1/problems", upload_problem, methods=["POST"], route_class_override=APIRoute, status_code=201,
        response_model=ProblemImported, openapi_extra=_ARCHIVE_BODY,
        responses={200: {"model": ProblemImported, "description": "a new version of an existing problem (or the "
                         "same package again: `changed` false)"}, **_UPLOAD_ERRORS},
        summary="Upload a problem package (admin token): checked, then imported as judge-admin import-problem does")

    @app.get("/v1/problems/{problem_id}/grants", response_model=GrantList, responses=_GRANT_ERRORS,
             summary="Who may submit to a restricted problem (admin token)")
    def list_grants(problem_id: str, user: Annotated[repo.User, Depends(current_user)]) -> GrantList:
        problem, grants = setters.grants(user, problem_id)
        return GrantList(problem_id=problem.id, restricted=problem.restricted,
                         grants=[_grant_view(problem.id, g) for g in grants])

    @app.put("/v1/problems/{problem_id}/grants/{user_id}", status_code=201, response_model=GrantView,
             responses={200: {"model": GrantView, "description": "already granted"}, **_GRANT_ERRORS},
             summary="Let a user (id or name) submit to a restricted problem (admin token)")
    def put_grant(problem_id: str, user_id: str, user: Annotated[repo.User, Depends(current_user)]) -> Any:
        grant, created = setters.grant(user, problem_id, user_id)
        return JSONResponse(_grant_view(problem_id, grant).model_dump(), status_code=201 if created else 200)

    @app.delete("/v1/problems/{problem_id}/grants/{user_id}", response_model=GrantRevoked, responses=_GRANT_ERRORS,
                summary="Take a user's grant of a problem back (admin token)")
    def delete_grant(problem_id: str, user_id: str, user: Annotated[repo.User, Depends(current_user)]) -> GrantRevoked:
        return GrantRevoked(problem_id=problem_id, user_id=user_id, revoked=setters.revoke(user, problem_id, user_id))
