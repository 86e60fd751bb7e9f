"""Lambda entry point, every minute (EventBridge): send the submission messages the outbox still holds
unsent (store/outbox.py); intake sends each at once, this catches what it could not."""

import logging
import os

import boto3

from store.config import Database
from store.outbox import OutboxRelay

logging.getLogger().setLevel(logging.INFO)
relay = OutboxRelay(Database.from_env(), boto3.client("sqs"), os.environ["SUBMISSION_QUEUE_URL"])


def handler(event, context):
    done = relay.relay_pending()
    return {"sent": done.sent, "failed": done.failed}
