"""The completion consumer as a Lambda function's core: event source mappings on the completion queue,
the workers' failure queue and both DLQs deliver SQS batches, and each record is applied by the same
`Consumer` handler the process uses for that queue (backend/consumer.py), told apart by the queue name
in the record's eventSourceARN.

A record that raises (its database is down, or refused a value outside the cases the consumer settles
itself) is reported as a batch item failure (ReportBatchItemFailures): only it returns to its queue,
to be retried and in the end dead-lettered; every other record of the batch is deleted by Lambda. A
malformed record is settled (logged, dropped) exactly as the process settles it.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backend.consumer import Consumer


class UnknownQueue(RuntimeError):
    """A record from a queue this consumer was not configured for: kept (a failure), never dropped."""


def queue_name(url_or_arn: str) -> str:
    """The queue's name: the last part of its URL (…/<account>/<name>) or ARN (…:<account>:<name>)."""
    return url_or_arn.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]


class BatchConsumer:
    def __init__(self, consumer: Consumer) -> None:
        self.handlers: dict[str, Callable[[str], str]] = {queue_name(url): handle for url, handle in consumer.queues}
        self._processor = BatchProcessor(event_type=EventType.SQS)

    def apply(self, record: SQSRecord) -> str:
        handle = self.handlers.get(queue_name(record.event_source_arn))
        if handle is None:
            raise UnknownQueue(f"record {record.message_id} from {record.event_source_arn}: not a queue this "
                               f"consumer drains ({', '.join(sorted(self.handlers))})")
        return handle(record.body)

    def handle(self, event: dict, context) -> dict:
        """{"batchItemFailures": [{"itemIdentifier": <message id>}, ...]}: the records that raised."""
        return process_partial_response(event=event, record_handler=self.apply, processor=self._processor,
                                        context=context)
