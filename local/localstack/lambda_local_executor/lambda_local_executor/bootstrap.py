"""The Python runtime's entry point, what /var/runtime/bootstrap.py is in AWS Lambda's python3.12.

Runs as the function's uid inside the container: it puts the function's code and the layers' Python
directories on sys.path in Lambda's order, then hands over to AWS's runtime interface client
(`awslambdaric`, installed in /var/runtime), which talks to the init over the Runtime API.
/var/task comes before /var/runtime (PYTHONPATH), so the boto3 a function zip vendors shadows the
runtime's (tests/local/test_lambda_bootstrap.py).
"""

import os
import sys

version = f"python{sys.version_info.major}.{sys.version_info.minor}"
task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
front = [task_root, f"/opt/python/lib/{version}/site-packages", "/opt/python"]
# (Python put this file's directory first; it is the runtime's, not the function's.)
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)
sys.path[:0] = [p for p in front if p not in sys.path]
os.chdir(task_root)

from awslambdaric.__main__ import main  # noqa: E402 (after sys.path is Lambda's)

main([sys.argv[0], os.environ["_HANDLER"]])
