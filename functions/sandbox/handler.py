"""Lambda entry point of a sandbox function: compile and run submitted code, nothing else.
Deployed once per language with that language's toolchain layer (see pipeline/sandbox_function.py)."""

from judge import settings
from pipeline.fresh_environment import end_after_each_invocation
from pipeline.sandbox_function import handle, init_check

init_check()  # a broken toolchain layer fails the cold start, not a submission
if settings.current().fresh_environment:
    end_after_each_invocation()


def handler(event, context):
    return handle(event)
