import base64

import pytest

from judge.runner import Artifact
from judge.sandbox.api import Observation, Outcome
from pipeline.sandbox_protocol import (
    SandboxProtocolError,
    observation_from_wire,
    observation_to_wire,
    parse_request,
)


def test_artifact_round_trip_keeps_files_and_modes(tmp_path):
    artifact = Artifact({"main": (0o755, b"\x7fELF..."), "A.class": (0o644, b"cafebabe")})
    back = Artifact.from_b64(artifact.to_b64())
    assert back.files == artifact.files
    back.write_into(tmp_path)
    assert (tmp_path / "main").stat().st_mode & 0o111


def test_artifact_refuses_paths_outside_its_directory():
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="unexpected artifact member"):
        Artifact.from_b64(base64.b64encode(buffer.getvalue()).decode())


def test_observation_survives_the_wire_with_compressed_output():
    observation = Observation(Outcome.OK, 0, None, 12, 30, 2048, stdout=b"1 2 3\n" * 10000, stderr=b"warn")
    wire = observation_to_wire(observation)
    assert len(wire["stdout_gz_b64"]) < 2000  # repetitive output compresses
    assert observation_from_wire(wire) == observation


@pytest.mark.parametrize("request_, reason", [
    ([], "JSON object"),
    ({"version": 2}, "version"),
    ({"version": 1, "action": "compile", "language": "cobol", "source_b64": ""}, "unknown language"),
    ({"version": 1, "action": "explode", "language": "c"}, "unknown action"),
    ({"version": 1, "action": "run", "language": "c", "artifact_b64": "", "limits": {}, "tests": [{"name": "a"}]},
     "input_b64 or input_url"),
])
def test_bad_sandbox_requests_are_refused_with_a_reason(request_, reason):
    with pytest.raises(SandboxProtocolError, match=reason):
        parse_request(request_)
