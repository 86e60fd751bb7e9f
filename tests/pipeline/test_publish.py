"""Webhook signing and retries against a real HTTP server on loopback, and the receiver's checks
(contracts/webhooks.py): signature, age, replay."""

import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from contracts.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, ReplayGuard, WebhookRefused, verify
from pipeline.publish import post_webhook


@pytest.fixture
def server():
    received, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers[SIGNATURE_HEADER], body, dict(self.headers)))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook", received, statuses
    httpd.shutdown()


def test_webhook_signs_timestamp_and_body_with_hmac_sha256(server):
    import time

    url, received, _ = server
    before = int(time.time())
    post_webhook(url, b'{"a":1}', b"secret", sleep=lambda s: None)
    [(signature, body, _)] = received
    assert body == b'{"a":1}'
    t, v1 = (part.split("=", 1)[1] for part in signature.split(","))
    assert before <= int(t) <= time.time()
    assert v1 == hmac.new(b"secret", t.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert verify(body, signature, b"secret") == int(t)


def test_retries_are_the_same_delivery_and_a_receiver_takes_it_once(server):
    url, received, statuses = server
    statuses.extend([503])
    delivery = post_webhook(url, b'{"b":2}', b"secret", sleep=lambda s: None)
    (_, body, first), (_, _, second) = received
    assert first[DELIVERY_HEADER] == second[DELIVERY_HEADER] == delivery
    assert first[SIGNATURE_HEADER] == second[SIGNATURE_HEADER]
    guard = ReplayGuard(b"secret")
    assert guard.check(body, second) == delivery
    with pytest.raises(WebhookRefused) as refused:
        guard.check(body, first)
    assert refused.value.code == "replayed_delivery"


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


SECRET = b"shared-secret"


def signed(body: bytes, t: int, delivery: str = "d-1") -> dict:
    from contracts.webhooks import delivery_headers

    return delivery_headers(body, SECRET, timestamp=t, delivery_id=delivery)


def test_a_receiver_refuses_stale_forged_and_replayed_deliveries():
    body, now = b'{"submission_id":"s","status":"JUDGED"}', 1_800_000_000
    guard = ReplayGuard(SECRET, tolerance_s=300)
    assert guard.check(body, signed(body, now - 299), now=now) == "d-1"  # within the tolerance

    def refused(body, headers, now=now, guard=guard):
        with pytest.raises(WebhookRefused) as caught:
            guard.check(body, headers, now=now)
        return caught.value.code

    assert refused(body, signed(body, now - 299)) == "replayed_delivery"  # the same request again
    assert refused(body, signed(body, now - 299, "d-2")) == "replayed_delivery"  # again under a new id
    assert refused(body, signed(body, now - 301, "d-3")) == "stale_timestamp"
    assert refused(body, signed(body, now + 301, "d-4")) == "stale_timestamp"  # from the future
    assert refused(body + b" ", signed(body, now, "d-5")) == "bad_signature"  # body changed
    forged = signed(body, now - 10, "d-6")
    forged[SIGNATURE_HEADER] = forged[SIGNATURE_HEADER].replace(f"t={now - 10}", f"t={now}")  # made fresh
    assert refused(body, forged) == "bad_signature"
    assert refused(body, {SIGNATURE_HEADER: f"t={now},v1=00", DELIVERY_HEADER: "d-7"}) == "bad_signature"
    assert refused(body, {SIGNATURE_HEADER: "sha256=abc", DELIVERY_HEADER: "d-8"}) == "malformed_signature"
    assert refused(body, {DELIVERY_HEADER: "d-9"}) == "missing_signature"
    assert refused(body, {SIGNATURE_HEADER: signed(body, now)[SIGNATURE_HEADER]}) == "missing_delivery_id"
    assert guard.check(b"{}", signed(b"{}", now, "d-10"), now=now) == "d-10"  # a new delivery is taken


def test_the_tolerance_is_configurable_and_the_seen_set_bounded():
    body, now = b"{}", 1_800_000_000
    strict = ReplayGuard(SECRET, tolerance_s=5, max_entries=4)
    with pytest.raises(WebhookRefused, match="tolerance 5 s"):
        strict.check(body, signed(body, now - 6), now=now)
    for n in range(10):
        strict.check(b"%d" % n, signed(b"%d" % n, now, f"d{n}"), now=now)
    assert len(strict._seen) <= 4
    # entries past the tolerance are dropped: their timestamps are refused as stale anyway
    later = ReplayGuard(SECRET, tolerance_s=5)
    later.check(body, signed(body, now, "a"), now=now)
    later.check(b"1", signed(b"1", now + 10, "b"), now=now + 10)
    assert "id:a" not in later._seen and "id:b" in later._seen
