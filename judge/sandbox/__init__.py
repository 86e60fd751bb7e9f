"""Run-and-observe: one process tree under limits, measured, swept. The contract is in api.py.

    run(spec) -> Observation                 blocking
    start(spec) -> RunningProgram            .pid, .wait() -> Observation, .kill(), .poll()
    isolation_mode() -> "bwrap" | "direct"   describe_isolation() for the long form
    fresh_workdir()                          a private temp dir for one compile or run

How (details in the modules): the program is started by a tiny C launcher (launcher.c) that
applies rlimits, drops to a sandbox uid when we are root, forks the program, watches CPU, wall
time, tree RSS and task count, and at the end kills and reaps the whole tree (it is a child
subreaper, so double-forked daemons come back to it). With root and bubblewrap the program runs
in namespaces (isolation.py): by default each run joins a long-lived per-slot holder made by
bubblewrap (network, uts, mount template) and gets fresh mount/ipc/pid namespaces of its own, which
costs a fraction of a whole bwrap per run. Memory and CPU come from the launcher's
getrusage(RUSAGE_CHILDREN), so the judge's own size never shows (outcome.py has the MLE rule).

What a submission can still do in direct mode without root (AWS Lambda: no namespaces, one uid),
each item with the test that bounds it (tests/judge/adversarial/test_direct_mode.py unless named;
tests/judge/sandbox/test_other_modes.py runs those files as an unprivileged uid):
  - signal every process of its uid. Killing its launcher ends its own run as RUNTIME_ERROR at once,
    its stderr kept out of the reason, and whatever it started is swept (the judge is its subreaper):
    test_an_escape_that_kills_its_launcher_leaves_nothing_behind (a later victim's run stays
    ACCEPTED, unread and unwritten). Killing the sandbox function's handler ends the invocation; the
    worker runs the batch again one test per call and the test that does it is a RUNTIME_ERROR, not
    a retry of anyone's submission: tests/pipeline/test_sandbox_function.py::
    test_interference_is_the_culprits_runtime_error_and_nobody_elses[killed];
  - reach the Lambda Runtime API and post a reply in the handler's name: the worker opens only
    replies sealed with the handler's key for that call's nonce, and treats any other as that test's
    RUNTIME_ERROR: tests/pipeline/test_sandbox_function.py (…[forged],
    test_replies_are_sealed_and_the_worker_opens_only_sealed_ones,
    test_the_reply_key_never_stays_in_the_environment);
  - read what its uid can read: the function's code and layers, its own inputs, /proc of dumpable
    processes of its uid. The judge and the launcher are not dumpable (no environ, mem or fd of
    theirs is readable: test_no_ancestor_is_readable, and `#include "/proc/<judge>/environ"` reads
    nothing: test_an_include_of_an_absolute_path_reads_nothing_of_the_judge). It cannot write its
    report for it (test_a_forged_report_is_never_believed) or replace the launcher that starts the
    next run (a sealed in-memory copy: test_a_rewritten_launcher_on_disk_is_not_what_runs_next);
  - read an interactive validator's input and answer: they never exist as files, the request holds
    them sealed, and the validator is not dumpable (checked before the submission starts); it can
    replace the validator's feedback files, which is then its RUNTIME_ERROR:
    tests/pipeline/test_sandbox_interact.py (an attacker that reads every process and file of its
    uid finds nothing; the control shows it wins against a validator run the plain way) and
    tests/e2e/test_interactive.py (the same, and its own request read back from the Runtime API);
  - write files where its uid may: RLIMIT_FSIZE caps each one; the sandbox function empties /tmp
    and sweeps every process before and after each invocation:
    tests/pipeline/test_sandbox_warm.py::test_nothing_of_one_invocation_reaches_the_next;
  - use the network the function has: HTTPS to the sandboxes' own S3 endpoint only (GetObject of
    testdata/* presigned by a worker, usable only through that endpoint, for two minutes), and DNS
    for AWS's and the VPC's names only (the DNS firewall answers NXDOMAIN to the rest). The
    configuration is checked by terraform/tests/judge.tftest.hcl (run "sandboxes_are_isolated"); the
    local Lambda environments give a function with those security groups nothing but presigned S3
    object requests, signature-checked (tests/local/test_lambda_executor.py::
    test_a_function_whose_security_group_allows_only_s3_reaches_only_presigned_s3), and a submission
    there reaches no database, API or other service: tests/e2e/test_attacks.py. DNS filtering and
    bucket policies are not exercised (LocalStack enforces neither).
Through the deployed pipeline in those environments (direct mode, as in Lambda), tests/e2e/
test_attacks.py also proves that a probing submission reads no secret or memory of another process
and cannot write the code or layers, that a reply forged through the Runtime API is only the
forger's RUNTIME_ERROR, and that a process left behind never meets the next submission. For the
most careful operators, JUDGE_FRESH_ENVIRONMENT=1 (Terraform: sandbox_fresh_environment) ends the
execution environment after every invocation: tests/e2e/test_fresh_environment.py.
It cannot exceed its CPU, wall, memory, output, file-size, open-file limits, fork more than its
task budget (RLIMIT_NPROC = the uid's current tasks + the limit, plus count-and-kill), keep a
process alive after the run, or see the expected answers: the worker checks, holds the credentials,
and re-checks what it is told (bounded fields, capped streams, limits: tests/contracts and
tests/judge/test_engine_rechecks.py).
"""

from judge.sandbox.api import Limits, MemoryModel, Observation, Outcome, RunSpec
from judge.sandbox.isolation import current as _current
from judge.sandbox.process import RunningProgram, run, start
from judge.sandbox.workdir import fresh_workdir, remove_tree


def isolation_mode() -> str:
    """The mode every run in this process uses: "bwrap" or "direct"."""
    return _current().mode


def runs_as_our_uid() -> bool:
    """Whether programs run as this process's own uid (direct mode without root: AWS Lambda)."""
    return _current().same_uid


def describe_isolation() -> str:
    return _current().describe()


__all__ = [
    "Limits",
    "MemoryModel",
    "Observation",
    "Outcome",
    "RunSpec",
    "RunningProgram",
    "describe_isolation",
    "fresh_workdir",
    "isolation_mode",
    "remove_tree",
    "run",
    "runs_as_our_uid",
    "start",
]
