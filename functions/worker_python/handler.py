"""Lambda entry point of the python worker: the shared worker (pipeline/worker.py), configured by its
environment (JUDGE_LANGUAGES, SANDBOX_FUNCTION) and layer, not by code of its own."""

from pipeline.worker import handler  # noqa: F401
