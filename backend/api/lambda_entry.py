"""The intake API behind API Gateway (HTTP API or REST, proxy integration) via Mangum.

Built once per execution environment at import (the Lambda init phase), from the function's
environment: SUBMISSIONS_BUCKET, SUBMISSION_QUEUE_URL, DB_SECRET_ARN / DB_*.
"""

from mangum import Mangum

from backend.api.app import create_app

handler = Mangum(create_app(), lifespan="off")
