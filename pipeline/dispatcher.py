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
from contracts.messages import CompletionMessage, SubmissionMessage

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

    def _reject(self, submission_id: str | None, reason: str, body: str) -> None:
        """Answer an unjudgeable message with FAILED, so its submission does not wait forever."""
        log.warning("rejecting message", extra={"reason": reason, "body": body[:500]})
        if submission_id is None:
            return  # nothing to answer: no submission can be named (it was never a submission)
        try:
            failed = CompletionMessage.failed(submission_id, 0, f"dispatch: {reason}")
        except MessageError:
            return  # the id itself is malformed; a row with such an id cannot exist
        self.sqs.send_message(QueueUrl=self.completion_queue_url, MessageBody=failed.to_json())

    def dispatch(self, record: SQSRecord) -> None:
        body = record.body
        try:
            message = SubmissionMessage.from_json(body)
        except MessageError as error:
            self._reject(_submission_id_of(body), str(error), body)
            return
        function = self.worker_functions.get(message.language)
        if function is None:
            self._reject(message.submission_id, f"no worker configured for language {message.language!r}", body)
            return
        receive_count = int(record.attributes.approximate_receive_count or 1)
        event = message.with_dispatch(receive_count, record.message_id)
        # Raising here makes the record a batch item failure: SQS redelivers it, then the DLQ takes it.
        self.lambda_client.invoke(FunctionName=function, InvocationType="Event", Payload=event.to_json().encode())
        log.info("dispatched", extra={"submission_id": message.submission_id, "worker": function,
                                      "receive_count": receive_count})


def _submission_id_of(body: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("submission_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


_processor = BatchProcessor(event_type=EventType.SQS)


def handle(event: dict, context, dispatcher: Dispatcher) -> dict:
    return process_partial_response(event=event, record_handler=dispatcher.dispatch, processor=_processor,
                                    context=context)
