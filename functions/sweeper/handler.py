"""Lambda entry point, every minute (EventBridge): send stuck submissions again once, then end them
FAILED with the reason (store/sweeper.py)."""

import logging
import os

import boto3

from store.config import Database
from store.outbox import OutboxRelay
from store.sweeper import Sweeper, SweepPolicy

logging.getLogger().setLevel(logging.INFO)
_db = Database.from_env()
sweeper = Sweeper(_db, OutboxRelay(_db, boto3.client("sqs"), os.environ["SUBMISSION_QUEUE_URL"]),
                  SweepPolicy.from_env())


def handler(event, context):
    return dict(sweeper.sweep_once())
