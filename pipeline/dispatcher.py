"""The dispatcher: one SQS batch in, one asynchronous worker invocation per valid message out.

A message that can never be judged (malformed, unknown language, no worker for it) is answered at
once with a FAILED completion carrying the reason, and counts as processed: it must not be retried
forever. A failure to reach the worker is transient: the record is reported as a batch item failure,
SQS redelivers it, and after maxReceiveCount deliveries it moves to the DLQ, which the backend drains.
"""

from __future__ import annotations

import json
import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from contracts.errors import MessageError
from contracts.runs import failure_for, queue_message

log = Logger(service="dispatcher")


class Dispatcher:
    def __init__(self, lambda_client, sqs_client, worker_functions: dict[str, str], completion_queue_url: str):
        self.lambda_client = lambda_client
        self.sqs = sqs_client
        self.worker_functions = worker_functions
        self.completion_queue_url = completion_queue_url

    @classmethod
    def from_environment(cls) -> Dispatcher:
        import boto3

        workers = json.loads(os.environ["WORKER_FUNCTIONS"])
        return cls(boto3.client("lambda"), boto3.client("sqs"), workers, os.environ["COMPLETION_QUEUE_URL"])

    def _reject(self, reason: str, body: str) -> None:
        """Answer an unjudgeable message with FAILED, so its submission (or run) does not wait forever."""
        log.warning("rejecting message", extra={"reason": reason, "body": body[:500]})
        # None: no valid submission or run id to answer (it was never one; no row can have it)
        failed = failure_for(body, f"dispatch: {reason}")
        if failed is not None:
            self.sqs.send_message(QueueUrl=self.completion_queue_url, MessageBody=failed.to_json())

    def dispatch(self, record: SQSRecord) -> None:
        """One submission or run (contracts.runs.queue_message): both go to their language's worker."""
        body = record.body
        try:
            message = queue_message(body)
        except MessageError as error:
            self._reject(str(error), body)
            return
        function = self.worker_functions.get(message.language)
        if function is None:
            self._reject(f"no worker configured for language {message.language!r}", body)
            return
        receive_count = int(record.attributes.approximate_receive_count or 1)
        event = message.with_dispatch(receive_count, record.message_id)
        # Raising here makes the record a batch item failure: SQS redelivers it, then the DLQ takes it.
        self.lambda_client.invoke(FunctionName=function, InvocationType="Event", Payload=event.to_json().encode())
        log.info("dispatched", extra={"id": getattr(message, "submission_id", None) or message.run_id,
                                      "worker": function, "receive_count": receive_count})


_processor = BatchProcessor(event_type=EventType.SQS)


def handle(event: dict, context, dispatcher: Dispatcher) -> dict:
    return process_partial_response(event=event, record_handler=dispatcher.dispatch, processor=_processor,
                                    context=context)
