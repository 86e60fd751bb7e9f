"""Run-and-observe, split from checking.

A `Runner` compiles a submission and runs it on test inputs, returning raw observations; it never
sees an expected answer. `LocalRunner` does that in this process's sandbox; the pipeline's
`LambdaRunner` does it in a sandbox Lambda function that holds nothing worth stealing. Both move the
compiled program around as an `Artifact`, so a program compiled once runs in many batches.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from judge import sandbox
from judge.languages import BINARY_NAME, Language
from judge.prefix_headers import HEADER_NAME, PrecompiledPrefixes, header_text, leading_headers
from judge.sandbox.api import Limits, Observation, Outcome, RunSpec
from judge.toolchain import expand, tool_env, tool_roots

COMPILE_OUTPUT_LIMIT = 64 * 1024
ARTIFACT_LIMIT = 48 * 1024 * 1024

# A compiler bomb (#include "/dev/zero", exponential templates) must end as COMPILATION_ERROR quickly.
COMPILE_LIMITS = Limits(
    cpu_time_s=20.0, wall_time_s=30.0, memory_mib=2048, output_mib=1, stderr_kib=64,
    file_size_mib=64, processes=64, open_files=128,
)


@dataclass
class Artifact:
    """The files a run needs (binary, classes or script), with their permission bits. Its wire form
    (a tar) is in `contracts.sandbox_protocol`."""

    files: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    # Its wire form, packed once (or as it arrived): every batch and test sends the same text, and a
    # kept program is never packed again (a tar, base64, gzip above 2 MiB: milliseconds per batch).
    wire: str | None = field(default=None, compare=False, repr=False)

    def size(self) -> int:
        return sum(len(data) for _, data in self.files.values())

    def write_into(self, directory: Path) -> None:
        for name, (mode, data) in self.files.items():
            fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fchmod(fd, mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            finally:
                os.close(fd)


@dataclass
class CompileOutcome:
    ok: bool
    output: str  # compiler messages, truncated
    artifact: Artifact | None
    observation: Observation | None = None  # the compiler's run (None when nothing ran)
    main_class: str | None = None  # Java: the class `java` starts
    precompiled: str = ""  # its leading includes came precompiled: "held" or "built" now (prefix_headers.py)

    def failure_is_judge_error(self) -> bool:
        return self.observation is not None and self.observation.outcome == Outcome.SANDBOX_ERROR


@dataclass(frozen=True)
class TestInput:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    input_path: Path


@dataclass(frozen=True)
class FirstBatch:
    """The tests a runner may run right after compiling, in the same call (`runs_ahead` runners):
    the engine's first batch, which its first `run` then asks for."""

    tests: list[TestInput]
    limits: Limits
    stop_at_failure: bool


class Runner(Protocol):
    def compile(self, language: Language, source: bytes) -> CompileOutcome: ...

    def run(self, language: Language, compiled: CompileOutcome, tests: list[TestInput],
            limits: Limits, stop_at_failure: bool = False) -> list[Observation]:
        """An observation per test, in order; with `stop_at_failure`, none after the first run that
        ends other than OK (the caller stops judging there)."""


def _truncate(data: bytes, limit: int = COMPILE_OUTPUT_LIMIT) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "\n[... truncated]"


def run_limits(language: Language, limits: Limits) -> Limits:
    """The per-test limits for a language: its memory model and the processes its runtime needs."""
    return dataclasses.replace(limits, memory_model=language.memory_model,
                               processes=max(limits.processes, language.run_processes))


def run_argv(language: Language, limits: Limits, main_class: str | None) -> list[str]:
    return expand(language.run, source=language.source_name, binary=BINARY_NAME,
                  main_class=main_class or "Main", memory_mib=str(limits.memory_mib))


def compile_in_sandbox(language: Language, source: bytes, limits: Limits = COMPILE_LIMITS,
                       prefixes: PrecompiledPrefixes | None = None) -> CompileOutcome:
    """Compile (or syntax-check) in a fresh sandboxed directory; collect what the run will need.
    With `prefixes`, a C++ source's leading standard includes come precompiled when they recur."""
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        return CompileOutcome(False, "source is not valid UTF-8", None)
    if "\x00" in text:
        return CompileOutcome(False, "source contains a NUL byte", None)
    if language.source_problem and (problem := language.source_problem(text)):
        return CompileOutcome(False, problem, None)
    main_class = language.main_class_of(text)
    source_name = language.source_file_name(text, main_class)
    with sandbox.fresh_workdir() as workdir:
        (workdir / source_name).write_bytes(source)
        if language.compile is None:
            return CompileOutcome(True, "", Artifact({source_name: (0o644, source)}), main_class=main_class)
        argv = expand(language.compile, source=source_name, binary=BINARY_NAME, main_class=main_class or "")
        precompiled = ""
        if prefixes is not None and language.precompile_header is not None:
            prefix = leading_headers(text)
            header, precompiled = prefixes.get(prefix, lambda: _precompile(language, prefix, limits))
            if header is not None:
                argv[1:1] = ["-include", _place_precompiled(workdir, prefix, header)]
        spec = _tool_spec(language, argv, workdir, limits)
        observation = sandbox.run(spec)
        output = _truncate(observation.stdout + observation.stderr)
        if observation.outcome != Outcome.OK:
            reason = {
                Outcome.TIME_LIMIT: "compilation exceeded its time limit",
                Outcome.MEMORY_LIMIT: "compilation exceeded its memory limit",
                Outcome.OUTPUT_LIMIT: "compilation produced too much output",
                Outcome.SANDBOX_ERROR: f"the compiler could not be run: {observation.detail}",
            }.get(observation.outcome, f"compilation failed (exit code {observation.exit_code})")
            return CompileOutcome(False, (output + "\n" + reason).strip(), None, observation, main_class, precompiled)
        artifact = Artifact({
            path.name: (path.stat().st_mode & 0o755, path.read_bytes())
            for path in sorted(workdir.iterdir())
            if path.is_file() and not path.is_symlink() and path.name != source_name
        })
        if language.runs_source:
            artifact.files[source_name] = (0o644, source)
        if artifact.size() > ARTIFACT_LIMIT:
            return CompileOutcome(False, output + "\ncompiled program is too large", None, observation, main_class,
                                  precompiled)
        return CompileOutcome(True, output, artifact, observation, main_class, precompiled)


def _tool_spec(language: Language, argv: list[str], workdir: Path, limits: Limits) -> RunSpec:
    """A compiler's run: the language's tools in reach, its compile environment and memory model."""
    return RunSpec(
        argv=argv, workdir=workdir,
        limits=dataclasses.replace(limits, memory_model=language.compile_memory_model),
        env={**tool_env(language.tools), "LANG": "C.UTF-8", "HOME": str(workdir), "TMPDIR": "/tmp",
             **language.compile_env},
        readonly_paths=tool_roots(language.tools),
    )


def _precompile(language: Language, prefix: tuple[str, ...], limits: Limits) -> bytes | None:
    """The prefix's headers precompiled with the language's compile flags, or None if that failed."""
    with sandbox.fresh_workdir() as workdir:
        (workdir / HEADER_NAME).write_text(header_text(prefix))
        argv = expand(language.precompile_header, header=HEADER_NAME, output=f"{HEADER_NAME}.gch")
        observation = sandbox.run(_tool_spec(language, argv, workdir, limits))
        built = workdir / f"{HEADER_NAME}.gch"
        if observation.outcome != Outcome.OK or not built.is_file() or built.is_symlink():
            return None
        return built.read_bytes()


def _place_precompiled(workdir: Path, prefix: tuple[str, ...], header: bytes) -> str:
    """A fresh copy of the precompiled prefix for this compile, beside it (relative to its directory):
    a subdirectory, so the program's files collected after the compile do not include it."""
    directory = workdir / ".prefix"
    directory.mkdir(mode=0o755)
    (directory / HEADER_NAME).write_text(header_text(prefix))
    (directory / f"{HEADER_NAME}.gch").write_bytes(header)
    return f".prefix/{HEADER_NAME}"


def run_spec_for(language: Language, compiled: CompileOutcome, workdir: Path, limits: Limits,
                 stdin_path: Path | None = None, **wiring) -> RunSpec:
    limits = run_limits(language, limits)
    return RunSpec(
        argv=run_argv(language, limits, compiled.main_class), workdir=workdir, limits=limits,
        env={**tool_env(language.tools), "LANG": "C.UTF-8", "HOME": str(workdir), "TMPDIR": "/tmp"},
        stdin_path=stdin_path, readonly_paths=tool_roots(language.tools), **wiring,
    )


class LocalRunner:
    """Compile and run in this machine's sandbox (bubblewrap as an unprivileged uid when root)."""

    def __init__(self) -> None:
        # run_spec_for per (language, main class, limits), for the per-test parts to be filled in:
        # resolving tool paths costs more than a cheap test's checking
        self._specs: dict[tuple, RunSpec] = {}

    def describe(self) -> str:
        return f"local/{sandbox.isolation_mode()}"

    def compile(self, language: Language, source: bytes) -> CompileOutcome:
        return compile_in_sandbox(language, source)

    def _spec(self, language: Language, compiled: CompileOutcome, workdir: Path, limits: Limits,
              stdin_path: Path) -> RunSpec:
        key = (language.name, language.run, language.tools, compiled.main_class, limits)
        template = self._specs.get(key)
        if template is None:
            if len(self._specs) >= 64:
                self._specs.clear()
            template = self._specs[key] = run_spec_for(language, compiled, workdir, limits)
        return dataclasses.replace(template, workdir=workdir, stdin_path=stdin_path,
                                   env={**template.env, "HOME": str(workdir)})

    def run(self, language: Language, compiled: CompileOutcome, tests: list[TestInput],
            limits: Limits, stop_at_failure: bool = False) -> list[Observation]:
        observations = []
        for test in tests:
            with sandbox.fresh_workdir() as workdir:
                compiled.artifact.write_into(workdir)
                observations.append(sandbox.run(self._spec(language, compiled, workdir, limits, test.input_path)))
            if stop_at_failure and observations[-1].outcome != Outcome.OK:
                break
        return observations

    def interact(self, problem, language: Language, compiled: CompileOutcome, test, limits: Limits, validator):
        """One interactive test: the submission in the sandbox, the (trusted) validator beside it."""
        from judge.checkers.interactive import run_interactive

        with sandbox.fresh_workdir() as workdir:
            compiled.artifact.write_into(workdir)
            spec = run_spec_for(language, compiled, workdir, limits)
            return run_interactive(problem, test, spec, validator, problem.output_validator_flags(test))
