"""The worker ↔ sandbox wire: every encoding round-trips, and a bad request or reply is refused with
a reason (SandboxProtocolError), never a crash."""

import base64
import dataclasses
import io
import os
import tarfile

import pytest

from contracts.sandbox_protocol import (
    PLAIN_TAR_MAX_BYTES,
    CompileReply,
    CompileRequest,
    RunReply,
    RunRequest,
    SandboxProtocolError,
    SelfTestRequest,
    TestPayload,
    artifact_from_wire,
    artifact_to_wire,
    decode_request,
    observation_from_wire,
    observation_to_wire,
)
from judge.runner import Artifact
from judge.sandbox.api import Limits, MemoryModel, Observation, Outcome


def test_artifact_round_trip_keeps_files_and_modes(tmp_path):
    artifact = Artifact({"main": (0o755, b"\x7fELF..."), "A.class": (0o644, b"cafebabe")})
    back = artifact_from_wire(artifact_to_wire(artifact))
    assert back.files == artifact.files
    back.write_into(tmp_path)
    assert (tmp_path / "main").stat().st_mode & 0o111


def test_a_program_travels_as_a_plain_tar_unless_gzip_is_worth_its_cpu():
    """A static C++ binary (1.8 MB) goes plain: gzip costs the sandbox 28 ms of CPU for it. Over
    PLAIN_TAR_MAX_BYTES the tar is gzipped, so the reply keeps room for the runs' output."""
    binary = bytes(range(256)) * (1_800_000 // 256)
    plain = base64.b64decode(artifact_to_wire(Artifact({"main": (0o755, binary)})))
    assert tarfile.is_tarfile(io.BytesIO(plain)) and plain[:2] != b"\x1f\x8b"
    large = Artifact({"main": (0o755, binary * 2)})
    gzipped = base64.b64decode(artifact_to_wire(large))
    assert gzipped[:2] == b"\x1f\x8b" and len(gzipped) < PLAIN_TAR_MAX_BYTES
    assert artifact_from_wire(artifact_to_wire(large)).files == large.files
    # no gzip timestamp: the same program is the same bytes on the wire, whenever it was packed
    assert artifact_to_wire(Artifact(dict(large.files))) == artifact_to_wire(large)


def test_artifact_refuses_paths_outside_its_directory():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(SandboxProtocolError, match="unexpected artifact member"):
        artifact_from_wire(base64.b64encode(buffer.getvalue()).decode())
    with pytest.raises(SandboxProtocolError, match="is not a tar"):
        artifact_from_wire(base64.b64encode(b"not a tar").decode())


def test_observation_survives_the_wire_with_compressed_output():
    observation = Observation(Outcome.OK, 0, None, 12, 30, 2048, stdout=b"1 2 3\n" * 10000, stderr=b"warn")
    wire = observation_to_wire(observation)
    assert len(wire["stdout_gz_b64"]) < 2000  # repetitive output compresses
    assert observation_from_wire(wire) == observation


def test_every_request_round_trips_through_its_wire_form():
    artifact = Artifact({"main": (0o755, b"bin")})
    limits = Limits(cpu_time_s=2.5, memory_mib=64, memory_model=MemoryModel.RSS_POLLING)
    run = RunRequest("java", artifact, limits, (TestPayload("1", input=b"in\n"), TestPayload("2", input_url="https://x/y")),
                     main_class="Sol")
    assert decode_request(run.to_wire()) == run
    assert decode_request(CompileRequest("cpp", b"int main(){}").to_wire()) == CompileRequest("cpp", b"int main(){}")
    assert decode_request(SelfTestRequest("c").to_wire()) == SelfTestRequest("c")
    # a compile that runs the first tests with its program in the same call
    then_run = RunRequest("cpp", Artifact(), limits, run.tests, stop_at_failure=True)
    compile_and_run = CompileRequest("cpp", b"int main(){}", "n" * 32, then_run)
    assert decode_request(compile_and_run.to_wire()) == compile_and_run
    assert decode_request(dataclasses.replace(run, stop_at_failure=True).to_wire()).stop_at_failure is True
    # a batch carries only the tests it names, with the artifact as it was packed once
    wire = run.to_wire([run.tests[1]])
    assert [t["name"] for t in wire["tests"]] == ["2"]
    assert wire["artifact_b64"] is artifact_to_wire(artifact)


def test_replies_round_trip_and_a_run_reply_stays_under_its_budget():
    compiled = CompileReply(True, "warning", Artifact({"main": (0o755, b"x")}), None,
                            Observation(Outcome.OK, 0, None, 5, 9, 100), isolation="direct",
                            toolchain="g++ (Debian 12.2.0-14) 12.2.0")
    assert CompileReply.from_wire(compiled.to_wire()) == compiled
    older = {k: v for k, v in compiled.to_wire().items() if k != "toolchain"}  # a sandbox before the field
    assert CompileReply.from_wire(older).toolchain is None
    reply = RunReply(budget=4000)
    big = Observation(Outcome.OK, 0, None, 1, 1, 1, stdout=os.urandom(1500))  # does not compress
    assert reply.add(big)  # the first always fits
    assert not reply.add(big)
    assert RunReply.from_wire(reply.to_wire()).observations == [big]
    reply.isolation = "bwrap"
    assert RunReply.from_wire(reply.to_wire()).isolation == "bwrap"


@pytest.mark.parametrize("request_, reason", [
    ([], "JSON object"),
    ({"version": 2}, "version"),
    ({"version": 1, "action": "compile", "language": "cobol", "source_b64": ""}, "unknown language"),
    ({"version": 1, "action": "compile", "language": "c", "source_b64": "%%%"}, "base64"),
    ({"version": 1, "action": "explode", "language": "c"}, "unknown action"),
    ({"version": 1, "action": "run", "language": "c", "artifact_b64": "", "limits": {}, "tests": [{"name": "a"}]},
     "input_b64 or input_url"),
    ({"version": 1, "action": "run", "language": "c", "artifact_b64": artifact_to_wire(Artifact()),
      "limits": {"memory_model": "nonsense"}, "tests": []}, "bad limits"),
    ({"version": 1, "action": "compile", "language": "c", "source_b64": "", "then_run": []}, "'then_run' must be"),
    ({"version": 1, "action": "compile", "language": "c", "source_b64": "",
      "then_run": {"limits": {}, "tests": [], "stop_at_failure": "yes"}}, "stop_at_failure"),
    ({"version": 1, "action": "run", "language": "c", "artifact_b64": artifact_to_wire(Artifact()),
      "limits": {}, "tests": [], "stop_at_failure": 1}, "stop_at_failure"),
])
def test_bad_sandbox_requests_are_refused_with_a_reason(request_, reason):
    with pytest.raises(SandboxProtocolError, match=reason):
        decode_request(request_)


@pytest.mark.parametrize("reply, reason", [
    ({"version": 1, "error": "unknown language 'x'"}, "rejected the request: unknown language"),
    ({"version": 3, "ok": True}, "reply version"),
    ("text", "JSON object"),
    ({"version": 1, "ok": True, "compile_output": "", "isolation": "none, trust me"}, "isolation"),
    ({"version": 1, "ok": True, "compile_output": "", "toolchain": "gcc 12\nACCEPTED"}, "toolchain"),
    ({"version": 1, "ok": True, "compile_output": "", "toolchain": "g" * 201}, "toolchain"),
])
def test_bad_replies_are_refused_with_a_reason(reply, reason):
    with pytest.raises(SandboxProtocolError, match=reason):
        CompileReply.from_wire(reply)
