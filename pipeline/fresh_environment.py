"""End the execution environment after each invocation (JUDGE_FRESH_ENVIRONMENT=1).

For the most careful operators: the sandbox function then serves one compile or one batch of runs
per execution environment, and nothing an earlier submission could have left (a process, a file,
a change to the handler's memory) can exist. The runtime process exits once its answer is posted,
the moment it would ask the Runtime API for the next invocation; Lambda then starts the next
invocation in a new environment (a cold start: the price, measured in the README).

The hook is the runtime interface client's own loop (`awslambdaric`, what AWS's python3.12 runtime
runs): exiting from inside the handler would lose the answer, and exiting at the start of the next
invocation would fail it.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

_spared = False  # the invocation now answered ran nothing of a submission (a warm-up)


def spare_this_invocation() -> None:
    """Nothing of a submission runs in this invocation (a worker's warm-up): the environment may
    serve the next one, which is the first to run anything in it."""
    global _spared
    _spared = True


def end_after_each_invocation() -> bool:
    """Make the runtime exit after its first answer; False if this runtime has no such hook."""
    try:
        from awslambdaric.lambda_runtime_client import LambdaRuntimeClient
    except ImportError:
        log.warning("JUDGE_FRESH_ENVIRONMENT is set but the runtime is not awslambdaric: environments stay warm")
        return False
    wait_next = LambdaRuntimeClient.wait_next_invocation
    answered = False

    def wait_next_once(client):
        global _spared
        nonlocal answered
        if answered and not _spared:  # the previous invocation's answer is posted: this environment is done
            os._exit(0)
        answered, _spared = True, False
        return wait_next(client)

    LambdaRuntimeClient.wait_next_invocation = wait_next_once
    return True
