"""The outbox and its relay against real MariaDB and LocalStack SQS: every committed message is sent,
a failed send stays pending, and relays running together never send one message twice."""

from __future__ import annotations

import threading
import uuid

from store import repositories as repo
from store.outbox import OutboxRelay


def queued_submissions(db, bucket: str, n: int) -> list[str]:
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("p", "P", "pass-fail", {}, "0" * 64, False))
        user, _ = repo.create_user(cur, f"u-{uuid.uuid4().hex[:8]}")
    ids = []
    for _ in range(n):
        sid = str(uuid.uuid4())
        with db.transaction() as cur:  # as intake does: the row and its message in one transaction
            repo.insert_submission(cur, id=sid, user_id=user.id, problem_id="p", language="python",
                                   s3_code_path=f"s3://{bucket}/submissions/{sid}/Main.py")
            repo.add_to_outbox(cur, sid, f'{{"submission_id": "{sid}"}}')
        ids.append(sid)
    return ids


def drain(aws, queue_url: str) -> list[str]:
    bodies = []
    while batch := aws.receive(queue_url):
        bodies += [m["Body"] for m in batch]
        aws.sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    return bodies


def test_every_pending_message_is_sent_once_and_stamped(db, aws):
    ids = queued_submissions(db, aws.bucket, 23)
    relay = OutboxRelay(db, aws.sqs, aws.submission_queue)
    assert relay.relay_pending().sent == 23
    assert relay.relay_pending().sent == 0
    assert sorted(drain(aws, aws.submission_queue)) == sorted(f'{{"submission_id": "{sid}"}}' for sid in ids)
    with db.transaction() as cur:
        assert repo.pending_outbox_count(cur) == 0


def test_two_relays_at_once_send_each_message_once(db, aws, db_config):
    from store import Database

    queued_submissions(db, aws.bucket, 60)
    relays = [OutboxRelay(Database(db_config), aws.sqs, aws.submission_queue) for _ in range(2)]
    barrier, passes = threading.Barrier(2), []

    def run(relay):
        barrier.wait()
        passes.append(relay.relay_pending())

    threads = [threading.Thread(target=run, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(p.sent for p in passes) == 60
    bodies = drain(aws, aws.submission_queue)
    assert len(bodies) == len(set(bodies)) == 60  # SKIP LOCKED: neither sent a row the other held


def test_a_refused_send_stays_pending_with_the_error(db, aws):
    [sid] = queued_submissions(db, aws.bucket, 1)
    missing_queue = aws.submission_queue + "-missing"
    assert OutboxRelay(db, aws.sqs, missing_queue).relay_pending().failed == 1
    with db.transaction() as cur:
        cur.execute("SELECT sent_at, send_failures, last_error FROM outbox WHERE submission_id = %s", (sid,))
        pending = cur.fetchone()
    assert pending["sent_at"] is None and pending["send_failures"] == 1 and pending["last_error"]
    assert OutboxRelay(db, aws.sqs, aws.submission_queue).relay_pending().sent == 1


def test_a_relay_that_dies_before_its_commit_leaves_the_message_to_send_again(db, aws):
    """At least once: SQS took the message, the stamp never committed; the next pass sends it again."""
    [sid] = queued_submissions(db, aws.bucket, 1)

    class DiesAfterSending:
        def send_message_batch(self, **kwargs):
            aws.sqs.send_message_batch(**kwargs)
            raise SystemExit("killed after the send")  # not an Exception: nothing in the relay catches it

    try:
        OutboxRelay(db, DiesAfterSending(), aws.submission_queue).relay_pending()
    except SystemExit:
        pass
    assert OutboxRelay(db, aws.sqs, aws.submission_queue).relay_pending().sent == 1
    assert drain(aws, aws.submission_queue) == [f'{{"submission_id": "{sid}"}}'] * 2


def test_a_second_message_for_one_purpose_is_refused(db, aws):
    [sid] = queued_submissions(db, aws.bucket, 1)
    with db.transaction() as cur:
        assert repo.add_to_outbox(cur, sid, "again") is None
        assert repo.add_to_outbox(cur, sid, "resend", purpose="resend") is not None
        assert repo.add_to_outbox(cur, sid, "resend again", purpose="resend") is None


def test_the_relay_prunes_messages_sent_over_a_week_ago(db, aws):
    old, recent, pending = queued_submissions(db, aws.bucket, 3)
    with db.transaction() as cur:
        cur.execute("UPDATE outbox SET sent_at = NOW(6) - INTERVAL 8 DAY WHERE submission_id = %s", (old,))
        cur.execute("UPDATE outbox SET sent_at = NOW(6) - INTERVAL 6 DAY WHERE submission_id = %s", (recent,))
    OutboxRelay(db, aws.sqs, aws.submission_queue + "-missing").relay_pending()  # `pending` stays unsent
    with db.transaction() as cur:
        cur.execute("SELECT submission_id, sent_at IS NULL AS unsent FROM outbox ORDER BY id")
        assert [(r["submission_id"], r["unsent"]) for r in cur.fetchall()] == [(recent, 0), (pending, 1)]
