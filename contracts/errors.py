"""Every error the pipeline names, in one module (as Powertools keeps `exceptions.py` beside its
processors): what each means decides whether a hop fails the submission or lets Lambda retry."""

from __future__ import annotations


class MessageError(ValueError):
    """A message is not a valid message of the expected kind and version: never retried, the
    submission it names (if any) ends FAILED with this reason."""


class SandboxProtocolError(ValueError):
    """A sandbox request or reply breaks the protocol: a bug on one side, reported, not retried."""


class SandboxInvokeError(RuntimeError):
    """The sandbox function could not be reached or failed: transient, the worker is retried."""


class OutOfTime(RuntimeError):
    """What is left of the worker's invocation cannot hold the next sandbox call: a retry would have
    the same budget, so the submission ends FAILED with this reason."""


class ProblemNotFound(LookupError):
    """No problem with that id: the submission ends FAILED."""


class ProblemPackageError(RuntimeError):
    """The package the database names for a problem is missing, or is not the bytes its sha256 says:
    the submission ends FAILED with this reason, never judged from what was found."""


# What S3 answers for a key that is not there: 404/NoSuchKey, or 403/AccessDenied when the caller may
# not list the bucket (the workers and the backend may not), since S3 then will not say.
_ABSENT_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"})


def s3_object_absent(error: Exception) -> bool:
    """Whether a botocore ClientError from a HEAD or GET of one object means "no such object here"."""
    return getattr(error, "response", {}).get("Error", {}).get("Code") in _ABSENT_OBJECT_CODES


__all__ = ["MessageError", "OutOfTime", "ProblemNotFound", "ProblemPackageError", "SandboxInvokeError",
           "SandboxProtocolError", "s3_object_absent"]
