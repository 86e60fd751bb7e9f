"""Lambda entry point of a sandbox function: compile and run submitted code, nothing else.
Deployed once per language with that language's toolchain layer (see pipeline/sandbox_function.py)."""

from pipeline.sandbox_function import handle, init_self_test

init_self_test()  # a broken toolchain layer fails the cold start, not a submission


def handler(event, context):
    return handle(event)
