"""Faults through the whole local stack: every accepted submission ends JUDGED or FAILED with a reason,
none lost, none changing its final answer afterwards.

Each test breaks one thing for real (a SIGKILLed intake process, a consumer killed mid-burst, a
completion queue that refuses results, MariaDB down for 10 s, a message lost after its send) and then
checks the same ledger: `assert_all_settled`. Times to recovery go to the report the suite prints
(E2E_REPORT_DIR/faults.json, as latency.json).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from backend import admin
from contracts.messages import SubmissionMessage, s3_code_path
from store import repositories as repo
from store.outbox import OutboxRelay
from store.sweeper import Sweeper, SweepPolicy
from tests.e2e.conftest import FINAL, REPO, Api, handler_processes, processes

pytestmark = pytest.mark.e2e

ACCEPTED_PY = (REPO / "problems/aplusb/submissions/accepted/sum.py").read_text()
SLEEPER_PY = (REPO / "problems/aplusb/submissions/time_limit_exceeded/sleep.py").read_text()
FIGURES: dict[str, dict] = {}


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    if FIGURES and os.environ.get("E2E_REPORT_DIR"):
        Path(os.environ["E2E_REPORT_DIR"], "faults.json").write_text(json.dumps(FIGURES, indent=2))
    print("\nfault figures:", json.dumps(FIGURES))


@pytest.fixture
def fresh_api(stack) -> Api:
    """An API client for a user of this test's own, so its ledger holds only its submissions."""
    _, token = admin.create_user(stack.db, f"fault-{uuid.uuid4().hex[:10]}")
    return Api(stack.api_url, token)


# ---- the ledger -----------------------------------------------------------------------------------


def submit_until_accepted(api: Api, source: str = ACCEPTED_PY, deadline_s: float = 180) -> str:
    """POST with one Idempotency-Key until a 202, as a careful client does through an outage: a retry
    after a commit whose answer was lost returns the same submission, never a second one."""
    key, deadline = uuid.uuid4().hex, time.monotonic() + deadline_s
    while True:
        try:
            response = api.submit("aplusb", "python", source, **{"Idempotency-Key": key})
            if response.status_code == 202:
                return response.json()["submission_id"]
            assert response.status_code == 503, response.text  # the only refusal an outage may cause
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the API never accepted the submission"
        time.sleep(0.5)


def wait_all_final(api: Api, ids: list[str], timeout_s: float) -> dict[str, dict]:
    deadline, final = time.monotonic() + timeout_s, {}
    while len(final) < len(ids):
        for sid in ids:
            if sid not in final:
                try:
                    body = api.get(sid)
                except (httpx.TransportError, AssertionError):
                    continue  # the API is fine; its database may be coming back
                if body["status"] in FINAL:
                    final[sid] = body
        if len(final) < len(ids):
            assert time.monotonic() < deadline, (
                f"{len(ids) - len(final)} of {len(ids)} not final after {timeout_s:.0f} s: "
                f"{[api.get(s)['status'] for s in ids if s not in final]}")
            time.sleep(1)
    return final


def assert_all_settled(api: Api, ids: list[str], final: dict[str, dict], settle_s: float = 10,
                       expected: dict[str, str] | None = None) -> dict:
    """Every submission final (JUDGED with the right verdict, ACCEPTED unless `expected` says, or
    FAILED with a reason), and still the same after `settle_s` more: no late message turns one answer
    into another."""
    assert len(set(ids)) == len(ids), "one request made two submissions"
    for sid in ids:
        body = final[sid]
        if body["status"] == "JUDGED":
            assert body["verdict"] == (expected or {}).get(sid, "ACCEPTED"), body
        else:
            assert body["failure_reason"], body
    time.sleep(settle_s)
    for sid in ids:
        again = api.get(sid)
        assert (again["status"], again["verdict"], again["failure_reason"]) == (
            final[sid]["status"], final[sid]["verdict"], final[sid]["failure_reason"]), (final[sid], again)
    outcome = {"judged": sum(b["status"] == "JUDGED" for b in final.values())}
    outcome["failed"] = len(ids) - outcome["judged"]
    outcome["failure_reasons"] = sorted({b["failure_reason"][:120] for b in final.values() if b["failure_reason"]})
    return outcome


def burst(api: Api, n: int) -> list[str]:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: submit_until_accepted(api), range(n)))


# ---- the API killed between its commit and its send -------------------------------------------------


INTAKE_IN_A_PROCESS = """
import sys
import boto3
from botocore.config import Config
from backend.intake import Intake, IntakeConfig, NewSubmission
from store.config import Database

bucket, queue_url, blackhole, token, source = sys.argv[1:6]
# SQS at an address that takes the connection and never answers: the send hangs after the commit.
sqs = boto3.client("sqs", endpoint_url=blackhole, config=Config(read_timeout=600, retries={"max_attempts": 0}))
intake = Intake(IntakeConfig(bucket, queue_url), Database.from_env(), boto3.client("s3"), sqs)
intake.submit(intake.authenticate("Bearer " + token), NewSubmission("aplusb", "python", source))
print("the send returned: this process was meant to be killed before", flush=True)
"""


class Blackhole:
    """A TCP listener that accepts connections and never answers; `connected` is set on the first."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.connected, self.held = threading.Event(), []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.connected.set()

    def close(self):
        for conn in self.held:
            conn.close()
        self.sock.close()


def test_intake_killed_after_its_commit_before_its_send_is_relayed_and_judged(stack):
    user, token = admin.create_user(stack.db, f"killed-{uuid.uuid4().hex[:10]}")
    api = Api(stack.api_url, token)
    blackhole = Blackhole()
    env = {**os.environ, **stack.aws_env(), **stack.db_env(), "PYTHONPATH": str(REPO)}
    intake = subprocess.Popen(
        [sys.executable, "-c", INTAKE_IN_A_PROCESS, stack.outputs["submissions_bucket_name"],
         stack.outputs["submission_queue_url"], blackhole.url, token, ACCEPTED_PY],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert blackhole.connected.wait(60), f"intake never tried to send: {intake.communicate(timeout=5)[0]}"
        with stack.db.transaction() as cur:
            cur.execute("SELECT s.id, s.status, o.sent_at FROM submissions s JOIN outbox o ON o.submission_id = s.id"
                        " WHERE s.user_id = %s", (user.id,))
            [row] = cur.fetchall()
        assert (row["status"], row["sent_at"]) == ("QUEUED", None)  # committed, not sent
        intake.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        assert intake.wait(10) == -signal.SIGKILL
    finally:
        if intake.poll() is None:
            intake.kill()
        blackhole.close()
    sid = row["id"]
    while True:  # the API process's background relay (or the scheduled one) sends what it left
        with stack.db.transaction() as cur:
            cur.execute("SELECT sent_at FROM outbox WHERE submission_id = %s AND purpose = 'intake'", (sid,))
            if cur.fetchone()["sent_at"] is not None:
                break
        assert time.monotonic() - killed_at < 60, "the relay never sent the message the killed intake left"
        time.sleep(0.2)
    sent_s = time.monotonic() - killed_at
    final = wait_all_final(api, [sid], 240)
    judged_s = time.monotonic() - killed_at
    outcome = assert_all_settled(api, [sid], final, settle_s=5)
    assert outcome["judged"] == 1
    FIGURES["intake_killed_before_send"] = {"sent_after_kill_s": round(sent_s, 1),
                                            "judged_after_kill_s": round(judged_s, 1)}


# ---- a message lost after its send --------------------------------------------------------------------


def test_a_submission_whose_message_was_lost_is_sent_again_by_the_sweeper_and_judged(stack):
    """A row JUDGING with its message stamped sent, but no message or worker anywhere (lost): the
    sweeper, with the local stack's numbers shortened, sends it once more and the pipeline judges it."""
    user, token = admin.create_user(stack.db, f"lost-{uuid.uuid4().hex[:10]}")
    fresh_api = Api(stack.api_url, token)
    sid = str(uuid.uuid4())
    bucket = stack.outputs["submissions_bucket_name"]
    message = SubmissionMessage(sid, "aplusb", user.id, "python", s3_code_path(bucket, sid, "python"))
    stack.client("s3").put_object(Bucket=bucket, Key=message.key, Body=ACCEPTED_PY.encode(), ServerSideEncryption="AES256")
    with stack.db.transaction() as cur:
        repo.insert_submission(cur, id=sid, user_id=user.id, problem_id="aplusb", language="python",
                               s3_code_path=message.s3_code_path)
        # As if a first run had started as attempt 2 and then vanished, its message gone.
        cur.execute("UPDATE submissions SET status = 'JUDGING', attempt = 2 WHERE id = %s", (sid,))
        outbox_id = repo.add_to_outbox(cur, sid, message.to_json())
        repo.mark_outbox_sent(cur, [outbox_id])
    policy = SweepPolicy(worker_timeout_s=1, worker_retries=0, retry_delays_s=0, dispatch_margin_s=2)  # 3 s
    sweeper = Sweeper(stack.db, OutboxRelay(stack.db, stack.client("sqs"), stack.outputs["submission_queue_url"]),
                      policy)
    started = time.monotonic()

    def resent() -> bool:  # this one: a pass may also take another test's leftovers
        with stack.db.transaction() as cur:
            cur.execute("SELECT 1 FROM outbox WHERE submission_id = %s AND purpose = 'resend'", (sid,))
            return cur.fetchone() is not None

    while not (sweeper.sweep_once() and resent()):
        assert time.monotonic() - started < 30, "the sweeper never took the stuck submission"
        time.sleep(0.5)
    final = wait_all_final(fresh_api, [sid], 240)
    assert assert_all_settled(fresh_api, [sid], final, settle_s=3)["judged"] == 1
    with stack.db.transaction() as cur:
        assert repo.get_submission(cur, sid)["attempt"] == 3  # the re-sent run, numbered after the lost one
    FIGURES["lost_message_resent"] = {"judged_after_stuck_s": round(time.monotonic() - started, 1)}


# ---- the consumer killed mid-burst --------------------------------------------------------------------


def consumer_process(stack) -> subprocess.Popen:
    queues = stack.consumer_queues()
    env = {**os.environ, **stack.aws_env(), **stack.db_env(), "PYTHONPATH": str(REPO),
           "COMPLETION_QUEUE_URL": queues["completion_queue_url"],
           "WORKER_FAILURE_QUEUE_URL": queues["failure_queue_url"], "SUBMISSION_DLQ_URL": queues["dlq_url"],
           "COMPLETION_DLQ_URL": queues["completion_dlq_url"]}
    return subprocess.Popen([sys.executable, "-m", "backend.consumer"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_the_consumer_killed_mid_burst_and_restarted_loses_nothing(stack, fresh_api):
    stack.stop_consumer()
    consumer = consumer_process(stack)
    try:
        ids = burst(fresh_api, 8)
        started = time.monotonic()
        while sum(fresh_api.get(s)["status"] in FINAL for s in ids) < 2:  # mid-burst: some applied, most not
            assert time.monotonic() - started < 180, "nothing was judged"
            time.sleep(0.5)
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(10)
        time.sleep(3)
        consumer = consumer_process(stack)
        final = wait_all_final(fresh_api, ids, 300)
        outcome = assert_all_settled(fresh_api, ids, final)
    finally:
        consumer.kill()
        consumer.wait(10)
        stack.start_consumer()
    assert outcome["judged"] == len(ids), outcome  # a consumer crash costs time, never a verdict
    FIGURES["consumer_killed_mid_burst"] = {**outcome, "all_final_after_s": round(time.monotonic() - started, 1)}


# ---- the completion queue refusing results for a while --------------------------------------------------


def test_a_completion_queue_refusing_results_for_a_while(stack, fresh_api):
    """MaximumMessageSize at SQS's minimum (1 KiB): JUDGING notes still fit, results do not, so every
    worker's publish fails until it is restored; Lambda retries the workers, then reports them."""
    sqs, url = stack.client("sqs"), stack.outputs["completion_queue_url"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1024"})
    try:
        ids = burst(fresh_api, 6)
        time.sleep(12)
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "262144"})
    restored = time.monotonic()
    final = wait_all_final(fresh_api, ids, 300)
    outcome = assert_all_settled(fresh_api, ids, final)
    for body in final.values():
        if body["status"] == "FAILED":
            assert "worker" in body["failure_reason"], body  # the failure destination's record, named
    FIGURES["completion_queue_refused_12s"] = {**outcome, "all_final_after_restore_s": round(time.monotonic() - restored, 1)}


# ---- MariaDB down for 10 s during a burst ---------------------------------------------------------------


def test_mariadb_down_for_10_s_during_a_burst(stack, fresh_api):
    ids: list[str] = []
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(submit_until_accepted, fresh_api) for _ in range(12)]
        time.sleep(1.5)  # some accepted and in flight, some still coming
        down_at = time.monotonic()
        stack.mariadb.outage(10)
        up_at = time.monotonic()
        ids = [f.result() for f in futures]
    final = wait_all_final(fresh_api, ids, 420)
    outcome = assert_all_settled(fresh_api, ids, final)
    FIGURES["mariadb_down_10s"] = {**outcome, "down_s": round(up_at - down_at, 1),
                                   "all_final_after_up_s": round(time.monotonic() - up_at, 1)}


# ---- a worker and a sandbox environment SIGKILLed mid-run ------------------------------------------------


def test_a_worker_and_a_sandbox_killed_mid_run_lose_nothing(stack, fresh_api):
    """While a submission's program runs, every python worker's and sandbox's handler process is
    SIGKILLed: the worker's invocation is retried by Lambda, the sandbox call is made again (a dead
    runtime is interference, each test then run on its own), and every submission still ends."""
    sleeper = submit_until_accepted(fresh_api, SLEEPER_PY)
    others = burst(fresh_api, 4)
    started = time.monotonic()
    while not processes(lambda environ, argv: b"Main.py" in argv and b"-B" in argv):
        assert time.monotonic() - started < 120, "no submission started running"
        time.sleep(0.02)
    functions = stack.outputs["function_names"]
    killed = {role: handler_processes(functions[role]) for role in ("worker_python", "sandbox_python")}
    assert all(killed.values()), killed
    for pid in (pid for pids in killed.values() for pid in pids):
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    ids = [sleeper, *others]
    final = wait_all_final(fresh_api, ids, 300)
    outcome = assert_all_settled(fresh_api, ids, final, expected={sleeper: "TIME_LIMIT_EXCEEDED"})
    FIGURES["worker_and_sandbox_killed"] = {**outcome, "killed": {k: len(v) for k, v in killed.items()},
                                            "all_final_after_kill_s": round(time.monotonic() - killed_at, 1)}


# ---- 500 at once ---------------------------------------------------------------------------------------


@pytest.mark.timeout(1800)  # minutes on two shared cores, over the suite's 300 s per test
def test_five_hundred_submissions_at_once_all_end(stack, fresh_api):
    """No fault but load: 500 submissions sent by 25 clients at once on this machine's two cores.
    Latency is the row's own: created (accepted) to its last update (final), by the database's clock."""
    started = time.monotonic()
    with ThreadPoolExecutor(25) as pool:
        ids = list(pool.map(lambda _: submit_until_accepted(fresh_api, deadline_s=600), range(500)))
    sent_s = time.monotonic() - started
    took: dict[str, float] = {}
    deadline = time.monotonic() + 1500
    while len(took) < len(ids):  # one query a second for all 500 (the API is read once they end)
        with stack.db.transaction() as cur:
            cur.execute("SELECT id, TIMESTAMPDIFF(MICROSECOND, created_at, updated_at) / 1000000 AS took_s"
                        " FROM submissions WHERE user_id = (SELECT user_id FROM submissions WHERE id = %s)"
                        " AND status IN ('JUDGED', 'FAILED')", (ids[0],))
            took = {row["id"]: float(row["took_s"]) for row in cur.fetchall()}
        assert time.monotonic() < deadline, f"{len(ids) - len(took)} of 500 not final after 25 minutes"
        time.sleep(1)
    all_final_s = time.monotonic() - started
    final = {sid: fresh_api.get(sid) for sid in ids}
    outcome = assert_all_settled(fresh_api, ids, final, settle_s=5)
    latencies = sorted(took[sid] for sid in ids)
    FIGURES["five_hundred_at_once"] = {
        **outcome, "ended": len(took), "all_sent_s": round(sent_s, 1),
        "p50_s": round(latencies[len(latencies) // 2], 1), "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "all_final_after_s": round(all_final_s, 1)}
    assert outcome["judged"] == 500, outcome  # load alone fails nothing


# ---- the scheduled functions, as Terraform deployed them ------------------------------------------------


def test_the_scheduled_relay_and_sweeper_functions_run_as_deployed(stack):
    """The outbox_relay and sweeper functions Terraform deployed (zip, environment, database secret,
    EventBridge rule) do their work when invoked, here without waiting for the minute."""
    user, token = admin.create_user(stack.db, f"sched-{uuid.uuid4().hex[:10]}")
    sid, bucket = str(uuid.uuid4()), stack.outputs["submissions_bucket_name"]
    message = SubmissionMessage(sid, "aplusb", user.id, "python", s3_code_path(bucket, sid, "python"))
    stack.client("s3").put_object(Bucket=bucket, Key=message.key, Body=ACCEPTED_PY.encode(), ServerSideEncryption="AES256")
    with stack.db.transaction() as cur:  # what a killed intake leaves: the row and its unsent message
        repo.insert_submission(cur, id=sid, user_id=user.id, problem_id="aplusb", language="python",
                               s3_code_path=message.s3_code_path)
        repo.add_to_outbox(cur, sid, message.to_json())
    lam = stack.client("lambda")
    for role in ("outbox_relay", "sweeper"):
        name = stack.outputs[f"{role}_function_name"]
        response = lam.invoke(FunctionName=name, Payload=b"{}")
        body = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        assert isinstance(body, dict), body
        rules = stack.client("events").list_rule_names_by_target(TargetArn=lam.get_function(
            FunctionName=name)["Configuration"]["FunctionArn"])["RuleNames"]
        assert rules == [name]
        assert stack.client("events").describe_rule(Name=name)["ScheduleExpression"] == "rate(1 minute)"
    with stack.db.transaction() as cur:
        cur.execute("SELECT sent_at FROM outbox WHERE submission_id = %s", (sid,))
        assert cur.fetchone()["sent_at"] is not None  # by the function, or the API's relay racing it
    api = Api(stack.api_url, token)
    assert assert_all_settled(api, [sid], wait_all_final(api, [sid], 240), settle_s=2)["judged"] == 1
