"""`judge-admin ...`: the problem setter's commands against the database.

    judge-admin import-problem PACKAGE_DIR [--id ID] [--restricted] [--bucket BUCKET]
    judge-admin move-packages [--bucket BUCKET] [--delete-chunks]
    judge-admin create-user NAME [--admin]  # prints the bearer token (an admin's may rejudge)
    judge-admin grant USER PROBLEM
    judge-admin revoke USER PROBLEM
    judge-admin grants PROBLEM            # JSON: who was granted it
    judge-admin migrate [--worker-secret-arn ARN] [--worker-require-ssl]

Each command applies pending migrations first, so a fresh database needs no separate step. `migrate`
with a worker secret (`--worker-secret-arn`, default $DB_WORKER_SECRET_ARN: Terraform's
`database_worker_secret_arn` output) also creates or updates the workers' least-privilege user
(store/grants.py) with that secret's username and password; it must run as the master user.
Database settings come from DB_* or DB_SECRET_ARN (store/config.py); with neither set, from the running
`make run` stack if there is one (backend/stack_settings.py: its database, package bucket and LocalStack). Package archives go to the
package bucket (--bucket or $PACKAGE_BUCKET: the deployment's `submissions_bucket_name`) under
`packages/<sha256>.tar.gz`; without one, import-problem stores them in the database and says so. Exit codes: 0 done, 2 a
mistake explained on stderr. (The `judge` command is the engine's alone: it never needs a database.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from backend import admin, stack_settings
from store.config import env_flag


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="judge-admin",
                                     description="problem setter commands (database: DB_* or DB_SECRET_ARN)")
    commands = parser.add_subparsers(dest="admin_command", required=True)

    imp = commands.add_parser("import-problem", help="load a problem package into the database")
    imp.add_argument("package_dir")
    imp.add_argument("--id", dest="problem_id", help="problem id (default: the directory name)")
    imp.add_argument("--restricted", action="store_true", help="only granted users may submit")
    imp.add_argument("--bucket", default=os.environ.get("PACKAGE_BUCKET") or None,
                     help="the package bucket (default $PACKAGE_BUCKET; none: the archive goes to the database)")
    worker_timeout, sandbox_timeout = admin.deployed_timeouts()
    imp.add_argument("--worker-timeout", type=float, default=worker_timeout,
                     help="the workers' timeout the problem must fit (default $WORKER_TIMEOUT_SECONDS or %(default)g)")
    imp.add_argument("--sandbox-timeout", type=float, default=sandbox_timeout,
                     help="the sandbox functions' timeout (default $SANDBOX_TIMEOUT_SECONDS or %(default)g)")
    imp.set_defaults(handler=_import_problem)

    move = commands.add_parser("move-packages",
                               help="copy package archives stored in the database to the package bucket")
    move.add_argument("--bucket", default=os.environ.get("PACKAGE_BUCKET") or None,
                      help="the package bucket (default $PACKAGE_BUCKET)")
    move.add_argument("--delete-chunks", action="store_true",
                      help="then drop the database copies of every archive the bucket holds")
    move.set_defaults(handler=_move_packages)

    user = commands.add_parser("create-user", help="create a user and print its bearer token")
    user.add_argument("name")
    user.add_argument("--admin", action="store_true", help="the token may rejudge problems (POST .../rejudge)")
    user.set_defaults(handler=_create_user)

    grant = commands.add_parser("grant", help="let a user submit to a restricted problem")
    grant.add_argument("user", help="user name or id")
    grant.add_argument("problem", help="problem id")
    grant.set_defaults(handler=_grant)

    revoke = commands.add_parser("revoke", help="take a user's grant of a restricted problem back")
    revoke.add_argument("user", help="user name or id")
    revoke.add_argument("problem", help="problem id")
    revoke.set_defaults(handler=_revoke)

    grants = commands.add_parser("grants", help="list who was granted a problem (JSON)")
    grants.add_argument("problem", help="problem id")
    grants.set_defaults(handler=_grants)

    mig = commands.add_parser("migrate", help="apply pending database migrations (and set up the worker user)")
    mig.add_argument("--worker-secret-arn", default=os.environ.get("DB_WORKER_SECRET_ARN") or None,
                     help="Secrets Manager secret of the workers' user: create or update that user with its "
                          "password and exactly the workers' grants (default $DB_WORKER_SECRET_ARN)")
    mig.add_argument("--worker-require-ssl", action=argparse.BooleanOptionalAction,
                     default=env_flag(os.environ.get("DB_WORKER_REQUIRE_SSL", "")),
                     help="the worker user may connect over TLS only (REQUIRE SSL; default $DB_WORKER_REQUIRE_SSL)")
    mig.add_argument("--worker-host", default=os.environ.get("DB_WORKER_HOST") or "%",
                     help="host part of the worker account (default '%%')")
    mig.set_defaults(handler=_migrate)
    return parser


def _database():
    from store import Database, migrate

    db = Database.from_env()
    with db.connection() as conn:
        migrate(conn)
    return db


def _run(fn):
    def handler(args) -> int:
        from store.config import ConfigError
        from store.grants import GrantError

        try:
            return fn(_database(), args)
        except admin.AdminError as exc:
            if exc.problems:  # an invalid package: every problem, one a line
                print(f"judge-admin: {args.package_dir}: {len(exc.problems)} problem(s):", file=sys.stderr)
                for problem in exc.problems:
                    print(f"  {problem}", file=sys.stderr)
            else:
                print(f"judge-admin: {exc}", file=sys.stderr)
            return 2
        except (ConfigError, GrantError) as exc:
            print(f"judge-admin: {exc}", file=sys.stderr)
            return 2

    return handler


def _package_bucket(name: str | None):
    if not name:
        return None
    import boto3

    from store.packages import PackageBucket

    return PackageBucket(boto3.client("s3"), name)


@_run
def _import_problem(db, args) -> int:
    packages = _package_bucket(args.bucket)
    if packages is None:
        print("judge-admin: no package bucket (--bucket or $PACKAGE_BUCKET): the archive is stored in the database",
              file=sys.stderr)
    result = admin.import_problem(db, args.package_dir, problem_id=args.problem_id, restricted=args.restricted,
                                  packages=packages, worker_timeout_s=args.worker_timeout,
                                  sandbox_timeout_s=args.sandbox_timeout)
    print(json.dumps({"id": result.id, "name": result.name, "type": result.type, "restricted": result.restricted,
                      "package_sha256": result.package_sha256, "package_bytes": result.package_bytes,
                      "chunks": result.chunks, "object_key": result.object_key, "uploaded": result.uploaded,
                      "warnings": list(result.warnings)}))
    return 0


@_run
def _move_packages(db, args) -> int:
    packages = _package_bucket(args.bucket)
    if packages is None:
        raise admin.AdminError("move-packages needs the package bucket: --bucket or $PACKAGE_BUCKET")
    moved, deleted = admin.move_packages(db, packages, delete_chunks=args.delete_chunks)
    print(json.dumps({"moved": [ref.object_key for ref in moved], "chunks_deleted": deleted}))
    return 0


@_run
def _create_user(db, args) -> int:
    user, token = admin.create_user(db, args.name, is_admin=args.admin)
    # Only the token on stdout, so `TOKEN=$(judge-admin create-user alice)` works.
    print(f"created {'admin' if args.admin else 'user'} {user.name} (id {user.id})", file=sys.stderr)
    print(token)
    return 0


@_run
def _grant(db, args) -> int:
    created = admin.grant(db, args.user, args.problem)
    print(f"{args.user} may submit to {args.problem}" + ("" if created else " (already granted)"), file=sys.stderr)
    return 0


@_run
def _revoke(db, args) -> int:
    revoked = admin.revoke(db, args.user, args.problem)
    print(f"{args.user} " + ("may no longer submit to " if revoked else "had no grant of ") + args.problem,
          file=sys.stderr)
    return 0


@_run
def _grants(db, args) -> int:
    problem, granted = admin.grants(db, args.problem)
    print(json.dumps({"problem_id": problem.id, "restricted": problem.restricted,
                      "grants": [{"user_id": g.user_id, "user_name": g.user_name} for g in granted]}))
    return 0


@_run
def _migrate(db, args) -> int:
    # _database() already applied the migrations.
    if args.worker_secret_arn:
        username = admin.ensure_worker_user(db, args.worker_secret_arn, require_ssl=args.worker_require_ssl,
                                            host=args.worker_host)
        print(f"worker user {username}@{args.worker_host} has the workers' grants"
              + (" (TLS required)" if args.worker_require_ssl else ""), file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        local = stack_settings.apply()  # before the parser: its defaults read PACKAGE_BUCKET and the like
    except RuntimeError as error:
        print(f"judge-admin: {error}", file=sys.stderr)
        return 2
    if local is not None:
        print(f"judge-admin: no DB_HOST or DB_SECRET_ARN: using the running local stack's settings ({local})",
              file=sys.stderr)
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
