"""Lambda entry point of every worker (worker_python, worker_java, worker_cpp): one code base, deployed
once per language group and configured by its environment (JUDGE_LANGUAGES, SANDBOX_FUNCTION) and
layer, not by code of its own (pipeline/worker.py)."""

from pipeline.worker import handler, prepare  # noqa: F401

prepare()  # in the INIT phase, on its whole vCPU: see prepare()
