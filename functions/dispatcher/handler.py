"""Lambda entry point: submission queue batch → worker invocations (see pipeline/dispatcher.py)."""

from pipeline.dispatcher import Dispatcher, handle

dispatcher = Dispatcher.from_environment()


def handler(event, context):
    return handle(event, context, dispatcher)
