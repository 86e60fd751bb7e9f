"""The intake API behind API Gateway (HTTP API payload 2.0, or REST proxy) via Mangum: Lambda handler
`backend.api.lambda_entry.handler`, packaged as build/functions/backend_api.zip (make package).

Built once per execution environment at import (the Lambda init phase), from the function's
environment: SUBMISSIONS_BUCKET, SUBMISSION_QUEUE_URL, PACKAGE_BUCKET, DB_SECRET_ARN / DB_*,
SUBMISSION_RATE_LIMIT / RUN_RATE_LIMIT. No lifespan: the scheduled outbox_relay function relays
what a request's send missed, as the API's own relay thread does under uvicorn.
"""

from mangum import Mangum

from backend.api.app import create_app

handler = Mangum(create_app(), lifespan="off")
