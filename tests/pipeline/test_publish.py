"""Webhook signing and retries against a real HTTP server on loopback."""

import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from pipeline.publish import SIGNATURE_HEADER, post_webhook


@pytest.fixture
def server():
    received, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers[SIGNATURE_HEADER], body))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook", received, statuses
    httpd.shutdown()


def test_webhook_body_is_signed_with_hmac_sha256(server):
    url, received, _ = server
    post_webhook(url, b'{"a":1}', b"secret", sleep=lambda s: None)
    [(signature, body)] = received
    assert body == b'{"a":1}'
    assert signature == "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()


def test_webhook_retries_server_errors_with_growing_backoff(server):
    url, received, statuses = server
    statuses.extend([503, 502])
    waits = []
    post_webhook(url, b"{}", b"k", sleep=waits.append)
    assert len(received) == 3 and waits == [0.25, 0.5]


def test_a_dead_webhook_costs_a_result_seconds_not_half_a_minute():
    import urllib.error

    from pipeline.publish import WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_S, WEBHOOK_TIMEOUT_S

    worst = WEBHOOK_ATTEMPTS * WEBHOOK_TIMEOUT_S + sum(WEBHOOK_BACKOFF_S * 2 ** i for i in range(WEBHOOK_ATTEMPTS - 1))
    assert worst <= 8
    waits = []
    with pytest.raises(urllib.error.URLError):
        post_webhook("http://127.0.0.1:9/", b"{}", b"k", sleep=waits.append)  # nothing listens on port 9
    assert len(waits) == WEBHOOK_ATTEMPTS - 1


def test_webhook_does_not_retry_client_errors(server):
    import urllib.error

    url, received, statuses = server
    statuses.append(400)
    with pytest.raises(urllib.error.HTTPError):
        post_webhook(url, b"{}", b"k", sleep=lambda s: None)
    assert len(received) == 1


def test_publisher_queue_first_and_optional_channels_never_fail_the_judging(server):
    from contracts.messages import CompletionMessage
    from pipeline.publish import ResultPublisher

    url, received, statuses = server
    statuses.extend([400])
    sent, updated = [], []

    class Sqs:
        def send_message(self, **kwargs):
            sent.append(kwargs)

    def broken_update(message):
        updated.append(message)
        raise RuntimeError("database down")

    publisher = ResultPublisher(Sqs(), "https://queue", url, b"k", broken_update)
    message = CompletionMessage.failed("s-1", 1, "why")
    publisher.publish(message)  # a rejected webhook and a failed update are logged, not raised
    assert sent[0]["MessageBody"] == message.to_json() and updated == [message] and len(received) == 1
    publisher.publish(CompletionMessage.judging("s-1", 1), notify=False)
    assert len(sent) == 2 and len(updated) == 1 and len(received) == 1
