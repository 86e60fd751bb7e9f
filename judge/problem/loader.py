"""Read a problem package directory (Kattis legacy or 2023-07-draft, as DOMjudge imports them).

Only what judging needs is read: problem.yaml (name, type, limits, validation), DOMjudge's
`.timelimit`, the output validator's location and the test data tree under data/sample and
data/secret. Statements, input validators and submissions are left to other tools.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from judge.problem.model import (
    LEGACY,
    V2023_07,
    GroupSettings,
    Problem,
    ProblemFormatError,
    ProblemLimits,
    TestCase,
    TestGroup,
)

_VERSIONS = {"legacy": LEGACY, "legacy-icpc": LEGACY, "2023-07-draft": V2023_07, "2023-07": V2023_07,
             "draft": V2023_07}
_TYPES = {"pass-fail", "scoring", "multi-pass", "interactive", "submit-answer"}
_INCOMPATIBLE = [("pass-fail", "scoring"), ("multi-pass", "submit-answer"), ("interactive", "submit-answer")]
_UNSUPPORTED_TYPES = {"submit-answer"}
_GROUP_FILES = ("testdata.yaml", "test_group.yaml")
_LEGACY_GRADING_KEYS = {"on_reject", "grading", "grader_flags", "accept_score", "reject_score", "range"}
_JUDGED_GROUPS = ("sample", "secret")  # data/invalid_input etc. are for package checking, not judging


def load_problem(path: str | Path) -> Problem:
    """Load the package at `path`; on defects raise one ProblemFormatError that lists every one found,
    each naming the file and field (the checks that do not depend on each other all run)."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a directory")
    root = root.resolve()
    config_path = root / "problem.yaml"
    loader = _Loader(root, {})
    if not config_path.is_file():
        loader.problems.append(f"{config_path}: missing (every package needs problem.yaml)")
    else:
        loader.config = loader.collect(lambda: _read_yaml(config_path, root), {})
    return loader.load()


def _read_yaml(path: Path, root: Path) -> dict:
    _inside(path, root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ProblemFormatError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProblemFormatError(f"{path}: must be a YAML mapping, not {type(data).__name__}")
    return data


def _inside(path: Path, root: Path) -> Path:
    """Resolve symlinks; refuse targets outside the package (the format forbids them)."""
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        raise ProblemFormatError(f"{path}: broken symlink") from None
    except OSError as error:
        raise ProblemFormatError(f"{path}: cannot resolve: {error}") from None
    if not real.is_relative_to(root):
        raise ProblemFormatError(f"{path}: symlink points outside the package ({real})")
    return real


def _number(value: Any, where: str, *, positive: bool = True, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ProblemFormatError(f"{where}: expected a number, got {value!r}") from None
        else:
            raise ProblemFormatError(f"{where}: expected a number, got {value!r}")
    if math.isnan(value) or (positive and value <= 0):
        raise ProblemFormatError(f"{where}: must be a positive number, got {value!r}")
    if integer:
        if value != int(value):
            raise ProblemFormatError(f"{where}: must be an integer, got {value!r}")
        return int(value)
    return float(value)


def _flags(value: Any, where: str) -> tuple[str, ...]:
    """Validator flags: a string (split like a shell would) or a sequence of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as error:
            raise ProblemFormatError(f"{where}: cannot split {value!r}: {error}") from None
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                       for v in value):
        return tuple(str(v) for v in value)
    raise ProblemFormatError(f"{where}: expected a string or a list of strings, got {value!r}")


class _Loader:
    def __init__(self, root: Path, config: dict):
        self.root = root
        self.config = config
        self.yaml_path = root / "problem.yaml"
        self.group_configs: dict[Path, dict] = {}
        self.warnings: list[str] = []  # judged anyway, as DOMjudge or problemtools would, but worth knowing
        self.problems: list[str] = []  # defects found so far; load() raises them all together

    def where(self, field: str) -> str:
        return f"{self.yaml_path}: {field}"

    def collect(self, check, fallback=None):
        """Run one check; a defect is noted and `fallback` stands in, so the checks after it still run."""
        try:
            return check()
        except ProblemFormatError as error:
            self.problems.extend(error.problems)
            return fallback

    def load(self) -> Problem:
        """Long because it is the package's one reading order: problem.yaml's fields, the validator,
        the test tree, each checked on its own so that every defect is reported at once."""
        raw_version = self.config.get("problem_format_version", "legacy")
        version = _VERSIONS.get(str(raw_version))
        if version is None:
            self.problems.append(self.where(f"problem_format_version: unknown version {raw_version!r}"))
            version = LEGACY  # read the rest as legacy, to report what else is wrong
        self.version = version

        types = self.collect(self._types, {"pass-fail"})
        custom, custom_score, interactive_validation, multi_pass_validation = self.collect(
            self._validation, (False, False, False, False))
        is_interactive = "interactive" in types or interactive_validation
        is_multi_pass = "multi-pass" in types or multi_pass_validation
        is_scoring = "scoring" in types
        if is_interactive and is_multi_pass:
            self.problems.append(self.where(
                "interactive multi-pass problems are not supported by this judge (multi-pass alone and "
                "interactive alone are)"))
        validator = self.collect(self._output_validator)
        if version == V2023_07 and validator is not None:
            custom = True  # 2023-07: the presence of output_validator/ is what makes validation custom
        if is_interactive or is_multi_pass:
            custom = True
        if custom and validator is None:
            self.problems.append(self.where(
                "validation: a custom (or interactive) validation needs a validator in "
                f"{'output_validator/' if version == V2023_07 else 'output_validators/'}"))
        if is_scoring and custom:
            custom_score = True if version == V2023_07 else custom_score

        validator_flags = self.collect(lambda: _flags(self.config.get("validator_flags"),
                                                      self.where("validator_flags")), ())
        root_group = self.collect(lambda: self._test_data(is_interactive, is_scoring, validator_flags))
        names = self.collect(self._names, {"en": self.root.name})
        objective = self.collect(self._objective, "max")
        limits = self.collect(self._limits, ProblemLimits())
        grading_style = self.collect(self._grading_style, self.version)
        languages = self.collect(self._languages)
        if self.problems:
            raise ProblemFormatError(problems=self.problems)
        return Problem(
            root=self.root,
            name=names.get("en") or next(iter(names.values())),
            names=names,
            format_version=version,
            is_scoring=is_scoring,
            is_interactive=is_interactive,
            is_multi_pass=is_multi_pass,
            limits=limits,
            validator_flags=validator_flags,
            custom_validation=custom,
            custom_score=custom_score,
            output_validator=validator if custom else None,
            root_group=root_group,
            grading_style=grading_style,
            objective=objective,
            uuid=str(self.config["uuid"]) if self.config.get("uuid") is not None else None,
            languages=languages,
            warnings=self.warnings,
        )

    def _objective(self) -> str:
        grading = self.config.get("grading") or {}
        if not isinstance(grading, dict):
            raise ProblemFormatError(self.where("grading: must be a mapping"))
        objective = grading.get("objective", "max")
        if objective not in ("max", "min"):
            raise ProblemFormatError(self.where(f"grading.objective: must be max or min, got {objective!r}"))
        return objective

    # problem.yaml ------------------------------------------------------------------------------

    def _names(self) -> dict[str, str]:
        name = self.config.get("name")
        if name is None:
            return {"en": self.root.name}  # legacy: optional (the statement's \problemname has it)
        if isinstance(name, (str, int, float)) and not isinstance(name, bool):
            return {"en": str(name)}
        if isinstance(name, dict) and name and all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in name.items()):
            return dict(name)
        raise ProblemFormatError(self.where(f"name: expected a string or a map language -> string, got {name!r}"))

    def _languages(self) -> frozenset[str] | None:
        """problem.yaml `languages`: `all` (the default), or language codes as a list or a
        space/comma separated string; codes of languages this judge does not run are left out."""
        from judge.languages import LANGUAGES

        raw = self.config.get("languages", "all")
        codes = raw.replace(",", " ").split() if isinstance(raw, str) else raw
        if not isinstance(codes, list) or not codes or not all(isinstance(code, str) for code in codes):
            raise ProblemFormatError(self.where(f"languages: expected `all` or language codes, got {raw!r}"))
        if "all" in codes:
            return None
        wanted = {code.lower() for code in codes}
        ours = frozenset(language.name for language in LANGUAGES.values() if wanted & set(language.package_codes))
        if not ours:
            self.warnings.append(f"languages: {', '.join(codes)} names no language this judge runs: "
                                 "every submission is refused")
        return ours

    def _types(self) -> set[str]:
        raw = self.config.get("type", "pass-fail")
        values = [raw] if isinstance(raw, str) else raw
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise ProblemFormatError(self.where(f"type: expected a string or a non-empty list, got {raw!r}"))
        types = set(values)
        if len(types) != len(values):
            raise ProblemFormatError(self.where(f"type: repeated value in {values}"))
        unknown = types - _TYPES
        if unknown:
            raise ProblemFormatError(self.where(f"type: unknown {sorted(unknown)} (known: {sorted(_TYPES)})"))
        for a, b in _INCOMPATIBLE:
            if a in types and b in types:
                raise ProblemFormatError(self.where(f"type: {a} and {b} cannot be combined"))
        unsupported = types & _UNSUPPORTED_TYPES
        if unsupported:
            raise ProblemFormatError(self.where(f"type: {', '.join(sorted(unsupported))} is not supported by this judge"))
        return types

    def _validation(self) -> tuple[bool, bool, bool, bool]:
        """(custom, custom score, interactive, multi-pass) from legacy `validation` (DOMjudge reads
        `custom multi-pass` there; problemtools only the 2023-07 type)."""
        raw = self.config.get("validation", "default")
        if isinstance(raw, dict):  # an intermediate draft spelled it as a map of booleans
            return True, bool(raw.get("scoring")), bool(raw.get("interaction")), bool(raw.get("multipass"))
        if not isinstance(raw, str) or not raw.split():
            raise ProblemFormatError(self.where(f"validation: expected a string, got {raw!r}"))
        words = raw.split()
        head, extras = words[0], set(words[1:])
        if head == "default":
            if extras:
                raise ProblemFormatError(self.where(f"validation: 'default' takes no options, got {raw!r}"))
            return False, False, False, False
        if head != "custom":
            raise ProblemFormatError(self.where(f"validation: must start with default or custom, got {raw!r}"))
        unknown = extras - {"score", "interactive", "multi-pass"}
        if unknown:
            raise ProblemFormatError(self.where(f"validation: unknown option(s) {sorted(unknown)}"))
        return True, "score" in extras, "interactive" in extras, "multi-pass" in extras

    def _limits(self) -> ProblemLimits:
        limits = self.config.get("limits") or {}
        if not isinstance(limits, dict):
            raise ProblemFormatError(self.where("limits: must be a mapping"))
        base = ProblemLimits() if self.version == LEGACY else ProblemLimits(time_multiplier=2.0, safety_margin=1.5)
        values: dict[str, Any] = {}

        def number(key: str, **kw) -> float | None:
            if key not in limits or limits[key] is None:
                return None
            return self.collect(lambda: _number(limits[key], self.where(f"limits.{key}"), **kw))

        multipliers = limits.get("time_multipliers", limits.get("time_multiplier"))
        if isinstance(multipliers, dict):
            ac = multipliers.get("ac_to_time_limit", multipliers.get("ac_to_timelimit"))
            tle = multipliers.get("time_limit_to_tle", multipliers.get("timelimit_to_tle"))
            if ac is not None:
                values["time_multiplier"] = _number(ac, self.where("limits.time_multipliers.ac_to_time_limit"))
            if tle is not None:
                values["safety_margin"] = _number(tle, self.where("limits.time_multipliers.time_limit_to_tle"))
        elif multipliers is not None:
            values["time_multiplier"] = _number(multipliers, self.where("limits.time_multiplier"))
        if (margin := number("time_safety_margin")) is not None:
            values["safety_margin"] = margin
        for key, field, integer in [
            ("time_resolution", "time_resolution_s", False),
            ("memory", "memory_mib", True),
            ("output", "output_mib", True),
            ("code", "code_kib", True),
            ("compilation_time", "compilation_time_s", False),
            ("compilation_memory", "compilation_memory_mib", True),
            ("validation_time", "validation_time_s", False),
            ("validation_memory", "validation_memory_mib", True),
            ("validation_output", "validation_output_mib", True),
            ("validation_passes", "validation_passes", True),
        ]:
            if (value := number(key, integer=integer)) is not None:
                values[field] = value

        time_limit = number("time_limit")
        if time_limit is None:
            time_limit = self._dot_timelimit()
        values["time_limit_s"] = time_limit
        return replace(base, **values)

    def _dot_timelimit(self) -> float | None:
        """DOMjudge keeps the time limit in `.timelimit` at the package root (problem.yaml wins)."""
        path = self.root / ".timelimit"
        if not path.exists():
            return None
        _inside(path, self.root)
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        return _number(text, f"{path}: time limit")

    def _output_validator(self) -> Path | None:
        """Where the custom output validator lives: output_validator/ (2023-07) or output_validators/<name>."""
        single = self.root / "output_validator"
        plural = self.root / "output_validators"
        if single.exists():
            _inside(single, self.root)
            return single
        if not plural.exists():
            return None
        _inside(plural, self.root)
        if plural.is_file():
            return plural
        entries = [p for p in sorted(plural.iterdir()) if not p.name.startswith(".")]
        dirs = [p for p in entries if p.is_dir()]
        files = [p for p in entries if p.is_file() and not p.name.lower().startswith("readme")]
        if len(dirs) == 1 and not files:
            _inside(dirs[0], self.root)
            return dirs[0]
        if not dirs and files:
            # Loose files (validator.cpp + validate.h): treat the folder as one program.
            return plural
        if not entries:
            raise ProblemFormatError(f"{plural}: empty")
        raise ProblemFormatError(
            f"{plural}: holds {len(dirs)} programs and {len(files)} loose files; this judge runs exactly one "
            "output validator (put it in output_validators/<name>/)")

    # data/ ---------------------------------------------------------------------------------------

    def _test_data(self, interactive: bool, scoring: bool, problem_flags: tuple[str, ...]) -> TestGroup:
        data = self.root / "data"
        if not data.is_dir():
            raise ProblemFormatError(f"{data}: missing (test data lives in data/sample and data/secret)")
        self.interactive = interactive
        self.problem_flags = problem_flags
        root_settings, has_config = self.collect(lambda: self._group_settings(data, GroupSettings(), "data"),
                                                 (GroupSettings(), False))
        if not has_config and scoring:
            # Samples show the format, they do not earn points: score only secret, as 2023-07 says.
            root_settings = replace(root_settings, grader_flags=("ignore_sample",))
        root = TestGroup(name="", path=data, settings=root_settings, has_config=has_config)
        for name in _JUDGED_GROUPS:
            path = data / name
            if path.exists():
                _inside(path, self.root)
                if not path.is_dir():
                    raise ProblemFormatError(f"{path}: must be a directory")
                root.items.append(self._group(path, name, root))
        secret, sample = root.find("secret"), root.find("sample")
        if secret is None or not any(True for _ in secret.all_cases()):
            if sample is None or not any(True for _ in sample.all_cases()):
                raise ProblemFormatError(f"{data}: no test cases (no .in files in data/secret or data/sample)")
            # DOMjudge judges every test case it imports; with no secret data, that is the samples.
            self.warnings.append(f"{data / 'secret'}: no test cases; judged on data/sample alone, as DOMjudge does")
        return root

    def _group(self, path: Path, name: str, parent: TestGroup) -> TestGroup:
        settings, has_config = self.collect(lambda: self._group_settings(path, parent.settings, name),
                                            (parent.settings, False))
        group = TestGroup(name=name, path=path, settings=settings, has_config=has_config)
        entries = {p.name: p for p in path.iterdir() if not p.name.startswith(".")}
        inputs = {n[:-3] for n, p in entries.items() if n.endswith(".in") and not _is_dir(p)}
        answers = {n[:-4] for n, p in entries.items() if n.endswith(".ans") and not _is_dir(p)}
        for orphan in sorted(answers - inputs):
            self.problems.append(f"{path / (orphan + '.ans')}: answer file without {orphan}.in")
        subdirs = {n for n, p in entries.items() if _is_dir(p) and not n.endswith((".files", ".download"))}
        for clash in sorted(subdirs & inputs):
            self.problems.append(f"{path / clash}: a test group and a test case share the name {clash!r}")
        if name == "sample" and subdirs and self.version == V2023_07:
            self.problems.append(f"{path}: data/sample must not contain test groups (2023-07)")

        for base in sorted(inputs | subdirs):
            if base in subdirs:
                sub = path / base
                item = self.collect(partial(self._subgroup, sub, f"{name}/{base}", group))
            else:
                item = self.collect(partial(self._case, path, base, group))
            if item is not None:  # a defective case is reported and left out, its siblings still read
                group.items.append(item)
        return group

    def _subgroup(self, path: Path, name: str, parent: TestGroup) -> TestGroup:
        _inside(path, self.root)
        return self._group(path, name, parent)

    def _case(self, path: Path, base: str, group: TestGroup) -> TestCase:
        input_path = _inside(path / f"{base}.in", self.root)
        answer = path / f"{base}.ans"
        if answer.exists() or answer.is_symlink():
            answer_path: Path | None = _inside(answer, self.root)
        elif self.interactive:
            answer_path = None  # interactive validators may need nothing beyond the input
        else:
            raise ProblemFormatError(f"{answer}: missing (every test case needs an .ans next to its .in)")
        flags = group.settings.output_validator_flags
        case_yaml = path / f"{base}.yaml"
        if self.version == V2023_07 and case_yaml.is_file():
            case_config = _read_yaml(case_yaml, self.root)
            if case_config.get("args"):
                raise ProblemFormatError(f"{case_yaml}: args: command-line arguments for submissions are not supported")
            if "output_validator_args" in case_config:
                flags = _flags(case_config["output_validator_args"], f"{case_yaml}: output_validator_args")
        return TestCase(
            name=f"{group.name}/{base}",
            input_path=input_path,
            answer_path=answer_path,
            group=group.name,
            output_validator_flags=self.problem_flags + flags,
        )

    def _group_settings(self, path: Path, parent: GroupSettings, name: str) -> tuple[GroupSettings, bool]:
        found = [path / f for f in _GROUP_FILES if (path / f).exists()]
        if len(found) > 1:
            raise ProblemFormatError(f"{path}: both testdata.yaml and test_group.yaml; keep one")
        # Without a file, a group inherits everything from its parent except 2023-07 `scoring:`.
        inherited = replace(parent, max_score=None, aggregation=None)
        if not found:
            return inherited, False
        file = found[0]
        config = _read_yaml(file, self.root)
        self.group_configs[file] = config

        def where(key: str) -> str:
            return f"{file}: {key}"

        # Legacy keys follow testdata.yaml's rule: a group's own file replaces its parent's settings
        # wholesale (missing keys take the defaults). 2023-07 validator arguments inherit key by key.
        defaults = GroupSettings()
        values: dict[str, Any] = {
            "on_reject": defaults.on_reject, "grading": defaults.grading, "grader_flags": defaults.grader_flags,
            "accept_score": defaults.accept_score, "reject_score": defaults.reject_score,
            "score_range": defaults.score_range,
        }
        if self.version == LEGACY:
            values["output_validator_flags"] = ()
            values["input_validator_flags"] = ""
        on_reject = config.get("on_reject", "break")
        if on_reject not in ("break", "continue"):
            raise ProblemFormatError(where(f"on_reject: must be break or continue, got {on_reject!r}"))
        values["on_reject"] = on_reject
        grading = config.get("grading", "default")
        if isinstance(grading, str):
            if grading == "custom":
                raise ProblemFormatError(where("grading: custom graders are not supported by this judge"))
            if grading != "default":
                raise ProblemFormatError(where(f"grading: must be default or custom, got {grading!r}"))
        else:
            raise ProblemFormatError(where(f"grading: expected 'default', got {grading!r}"))
        if "grader_flags" in config:
            values["grader_flags"] = _flags(config["grader_flags"], where("grader_flags"))
        for key in ("accept_score", "reject_score"):
            if key in config:
                values[key] = _number(config[key], where(key), positive=False)
        if "range" in config:
            values["score_range"] = self._range(config["range"], where("range"))
        if "input_validator_flags" in config:
            values["input_validator_flags"] = config["input_validator_flags"] or ""
        for key in ("output_validator_flags", "output_validator_args"):
            if key in config:
                raw = config[key]
                if isinstance(raw, dict):  # legacy: {name: validator, flags: "..."}
                    raw = raw.get("flags", "")
                values["output_validator_flags"] = _flags(raw, where(key))
        if config.get("args"):
            raise ProblemFormatError(where("args: command-line arguments for submissions are not supported"))
        if "scoring" in config:
            values.update(self._scoring(config["scoring"], where, name))
        return replace(inherited, **values), True

    @staticmethod
    def _range(raw: Any, where: str) -> tuple[float, float]:
        parts = raw.split() if isinstance(raw, str) else raw
        if not isinstance(parts, list) or len(parts) != 2:
            raise ProblemFormatError(f"{where}: expected two numbers 'A B', got {raw!r}")
        try:
            low, high = (float(p) for p in parts)
        except (TypeError, ValueError):
            raise ProblemFormatError(f"{where}: expected two numbers 'A B', got {raw!r}") from None
        if math.isnan(low) or math.isnan(high) or low > high:
            raise ProblemFormatError(f"{where}: bad range {raw!r}")
        return low, high

    def _scoring(self, raw: Any, where, name: str) -> dict:
        if not isinstance(raw, dict):
            raise ProblemFormatError(where(f"scoring: must be a mapping, got {raw!r}"))
        if name in ("data", "sample") or name.startswith("sample/"):
            raise ProblemFormatError(where("scoring: only allowed for secret and its subgroups"))
        values: dict[str, Any] = {}
        if "score" in raw:
            score = raw["score"]
            if score == "unbounded":
                values["max_score"] = math.inf
            else:
                values["max_score"] = _number(score, where("scoring.score"), positive=False)
                if values["max_score"] < 0:
                    raise ProblemFormatError(where(f"scoring.score: must be non-negative, got {score!r}"))
        if "aggregation" in raw:
            if raw["aggregation"] not in ("pass-fail", "sum", "min"):
                raise ProblemFormatError(where(
                    f"scoring.aggregation: must be pass-fail, sum or min, got {raw['aggregation']!r}"))
            values["aggregation"] = raw["aggregation"]
        if raw.get("require_pass"):
            raise ProblemFormatError(where("scoring.require_pass: not supported by this judge"))
        return values

    def _grading_style(self) -> str:
        new = [f for f, c in self.group_configs.items() if "scoring" in c]
        old = [f for f, c in self.group_configs.items() if _LEGACY_GRADING_KEYS & set(c)]
        if new and old:
            raise ProblemFormatError(
                f"{old[0]}: legacy grading keys ({', '.join(sorted(_LEGACY_GRADING_KEYS & set(self.group_configs[old[0]])))}) "
                f"mixed with 2023-07 `scoring:` in {new[0]}; use one style")
        if new:
            return V2023_07
        if old:
            return LEGACY
        return self.version


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False
