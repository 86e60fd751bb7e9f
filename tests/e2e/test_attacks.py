"""Hostile submissions against the deployed pipeline, where the sandbox function runs in direct
mode inside a Lambda-faithful execution environment (uid 993, its own /tmp and process table, the
Runtime API on loopback, S3-only network): what issue 9 found open, tried end to end.

Each probe prints the right A+B answer only when every attack it tries fails, and tells what it
got otherwise, so ACCEPTED is the proof and anything else names the hole."""

from __future__ import annotations

import textwrap

PROBE = textwrap.dedent('''
    import json, os, socket, sys, urllib.request
    leaks = []

    def note(what):
        leaks.append(what)

    # 1. Every process this uid can see: the handler's and the launcher's secrets and memory.
    me = os.getpid()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == me:
            continue
        try:
            environ = open(f"/proc/{pid}/environ", "rb").read()
            if b"AWS_SECRET_ACCESS_KEY" in environ or b"SANDBOX_REPLY_KEY" in environ:
                note(f"environ of {pid}")
        except OSError:
            pass
        try:
            open(f"/proc/{pid}/mem", "rb").close()
            note(f"mem of {pid}")
        except OSError:
            pass

    # 2. The network: the database, the API, LocalStack's other services, any header-signed call.
    def reachable(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return True
        except OSError:
            return False

    for name, port in (("database", DB_PORT), ("api", API_PORT)):
        if reachable(port):
            note(name)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{LOCALSTACK_PORT}/?Action=ListQueues", timeout=3) as r:
            note(f"localstack answered {r.status}")
    except urllib.error.HTTPError as e:
        if e.code != 403:
            note(f"localstack answered {e.code}")
    except OSError:
        pass

    # 3. The file system: the function's code and layers are read-only, no toolchain of the host.
    for path in ("/var/task/x", "/opt/x", "/usr/x"):
        try:
            open(path, "w").close()
            note(f"wrote {path}")
        except OSError:
            pass
    if os.path.exists("/root") or os.path.exists("/work"):
        note("host directories")

    # 4. The Runtime API shows this invocation (as in Lambda): never an expected answer.
    try:
        with urllib.request.urlopen("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", timeout=3) as r:
            payload = r.read()
        if b".ans" in payload or b"reply_key" in payload.lower():
            note("answers or the reply key in the request")
    except OSError:
        pass

    a, b = map(int, sys.stdin.read().split())
    print(a + b if not leaks else "LEAKS " + "; ".join(leaks))
''')

FORGER = textwrap.dedent('''
    import json, sys, urllib.request
    # Read the running invocation back and answer it in the function's name, first.
    with urllib.request.urlopen("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", timeout=3) as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
    forged = json.dumps({"version": 1, "observations": []}).encode()
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:9001/2018-06-01/runtime/invocation/{request_id}/response", data=forged), timeout=3)
    a, b = map(int, sys.stdin.read().split())
    print(a + b)
''')

LINGERER = textwrap.dedent('''
    import os, sys, time
    # Leave a process behind that would copy the next submissions' inputs out of /tmp.
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        os._exit(0)
    a, b = map(int, sys.stdin.read().split())
    print(a + b)
''')

SURVIVOR_CHECK = textwrap.dedent('''
    import os, sys
    # Nothing of an earlier submission: no foreign process, nothing in /tmp but our own run's.
    me, parent = os.getpid(), os.getppid()
    others = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == os.getuid() and int(pid) not in (me, parent):
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()
                if b"sleep" in cmd or b"Main.py" in cmd:
                    others.append(pid)
        except OSError:
            pass
    a, b = map(int, sys.stdin.read().split())
    print(a + b if not others else f"SURVIVORS {others}")
''')


def test_a_probing_submission_finds_nothing_to_take(api, stack):
    source = PROBE.replace("DB_PORT", str(stack.mariadb.port)).replace("API_PORT", str(stack.api_port)) \
                  .replace("LOCALSTACK_PORT", str(stack.localstack.port))
    response = api.submit("aplusb", "python", source)
    assert response.status_code == 202, response.text
    body = api.wait(response.json()["submission_id"])
    assert body["status"] == "JUDGED" and body["verdict"] == "ACCEPTED", body


def test_a_reply_forged_through_the_runtime_api_is_the_forgers_runtime_error_only(api):
    response = api.submit("aplusb", "python", FORGER)
    assert response.status_code == 202, response.text
    body = api.wait(response.json()["submission_id"])
    assert body["status"] == "JUDGED" and body["verdict"] == "RUNTIME_ERROR", body
    # The sandbox function recovers (a fresh runtime) and the next submission is judged as usual.
    after = api.wait(api.submit_file("aplusb", "python", "problems/aplusb/submissions/accepted/sum.py"))
    assert after["verdict"] == "ACCEPTED", after


def test_a_process_left_behind_never_meets_the_next_submission(api):
    response = api.submit("aplusb", "python", LINGERER)
    assert response.status_code == 202, response.text
    assert api.wait(response.json()["submission_id"])["verdict"] == "ACCEPTED"
    response = api.submit("aplusb", "python", SURVIVOR_CHECK)
    assert response.status_code == 202, response.text
    body = api.wait(response.json()["submission_id"])
    assert body["verdict"] == "ACCEPTED", body
