"""The completion consumer behind SQS event source mappings (Lambda handler
`backend.consumer_lambda_entry.handler`), built once per execution environment at import from the
environment `python -m backend.consumer` reads: COMPLETION_QUEUE_URL, WORKER_FAILURE_QUEUE_URL,
SUBMISSION_DLQ_URL, COMPLETION_DLQ_URL, DB_SECRET_ARN / DB_*. See backend/consumer_batch.py."""

from backend.consumer import Consumer
from backend.consumer_batch import BatchConsumer

consumer = BatchConsumer(Consumer.from_env())


def handler(event, context):
    return consumer.handle(event, context)
