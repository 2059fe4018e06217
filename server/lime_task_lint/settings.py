"""Typed settings from ``[tool.lime-task-lint]`` and from the editor.

The project file wins: editor settings only fill in what the nearest
``pyproject.toml`` does not set, so a team shares one configuration and CI sees
the same rules as the editor.  A wrong key or type never stops the tool: it is
reported once, naming the key and the file, and the default is used.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]

DOCSTRING_STYLES = ("google", "numpy", "sphinx")
LOG_LEVELS = ("error", "warning", "info", "debug")
SUPPORTED_TARGETS = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14))


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("LIME",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    batch_size: int = 50
    memory_budget_mb: float = 200.0
    docstring_style: str = "google"
    object_counts: Mapping[str, int] = field(default_factory=dict)
    default_object_count: int = 100_000
    object_size_kb: Mapping[str, float] = field(default_factory=dict)
    default_object_size_kb: float = 1.0
    #: ``None`` means: read ``requires-python``, else the running interpreter.
    target_version: tuple[int, int] | None = None
    max_complexity: int = 10
    unsafe_fixes: bool = False
    read_latency_ms: float = 5.0
    commit_latency_ms: float = 25.0
    external_call_latency_ms: float = 150.0
    per_object_ms: float = 0.05
    code_lens: bool = True
    # Editor-only settings: the project file cannot set these.
    debounce_ms: int = 300
    log_level: str = "info"

    def object_count(self, limetype: str | None) -> tuple[int, str]:
        """The configured count for a limetype and where it came from."""
        if limetype and limetype in self.object_counts:
            return self.object_counts[limetype], f"`object-counts.{limetype}`"
        return self.default_object_count, "`default-object-count`"

    def object_size_bytes(self, limetype: str | None) -> tuple[int, str]:
        if limetype and limetype in self.object_size_kb:
            return int(self.object_size_kb[limetype] * 1024), f"`object-size-kb.{limetype}`"
        return int(self.default_object_size_kb * 1024), "`default-object-size-kb`"

    @property
    def python_version(self) -> tuple[int, int]:
        return self.target_version or (sys.version_info[0], sys.version_info[1])


EDITOR_ONLY = {"debounce-ms", "log-level"}
#: Keys the editor sends that the server does not use (the client reads them).
CLIENT_ONLY = {"interpreter", "trace", "code-lens-enabled"}


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).replace("_", "-").lower()


KEYS = {_kebab(f.name): f for f in fields(Settings)}


class SettingsError(ValueError):
    pass


def _codes(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"`{key}` must be a list of rule codes or prefixes such as \"LIME1\"")
    bad = [v for v in value if not re.fullmatch(r"(LIME\d{0,3}|ALL)", v.strip().upper())]
    if bad:
        raise SettingsError(f"`{key}` has values that are not LIME rule codes or prefixes: {', '.join(bad)}")
    return tuple(v.strip().upper() for v in value)


def _positive_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SettingsError(f"`{key}` must be a positive whole number, got {value!r}")
    return value


def _non_negative_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(f"`{key}` must be a whole number >= 0, got {value!r}")
    return value


def _positive_number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SettingsError(f"`{key}` must be a number >= 0, got {value!r}")
    return float(value)


def _choice(options: tuple[str, ...]):
    def convert(value: Any, key: str) -> str:
        if not isinstance(value, str) or value.lower() not in options:
            raise SettingsError(f"`{key}` must be one of {', '.join(options)}, got {value!r}")
        return value.lower()

    return convert


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"`{key}` must be true or false, got {value!r}")
    return value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"`{key}` must be a list of strings")
    return tuple(value)


def _mapping(convert_value):
    def convert(value: Any, key: str) -> dict:
        if not isinstance(value, Mapping):
            raise SettingsError(f"`{key}` must be a table of name = value")
        return {str(k): convert_value(v, f"{key}.{k}") for k, v in value.items()}

    return convert


def parse_target_version(value: Any, key: str = "target-version") -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    match = re.fullmatch(r"py3(\d{1,2})", str(value).strip().lower())
    version = (3, int(match.group(1))) if match else None
    if version not in SUPPORTED_TARGETS:
        raise SettingsError(f"`{key}` must be one of py310, py311, py312, py313, py314, got {value!r}")
    return version


CONVERTERS = {
    "select": _codes,
    "ignore": _codes,
    "per-file-ignores": _mapping(_codes),
    "exclude": _strings,
    "batch-size": _positive_int,
    "memory-budget-mb": _positive_number,
    "docstring-style": _choice(DOCSTRING_STYLES),
    "object-counts": _mapping(_non_negative_int),
    "default-object-count": _non_negative_int,
    "object-size-kb": _mapping(_positive_number),
    "default-object-size-kb": _positive_number,
    "target-version": parse_target_version,
    "max-complexity": _positive_int,
    "unsafe-fixes": _bool,
    "read-latency-ms": _positive_number,
    "commit-latency-ms": _positive_number,
    "external-call-latency-ms": _positive_number,
    "per-object-ms": _positive_number,
    "code-lens": _bool,
    "debounce-ms": _non_negative_int,
    "log-level": _choice(LOG_LEVELS),
}
assert set(CONVERTERS) == set(KEYS), "every setting needs a converter"


def convert_values(raw: Mapping[str, Any], origin: str, *, editor: bool) -> tuple[dict[str, Any], list[str]]:
    """Validate raw settings; return the good ones (by field name) and one message per bad key."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for raw_key, value in raw.items():
        key = _kebab(str(raw_key))
        if editor and key in CLIENT_ONLY:
            continue
        if key not in KEYS:
            problems.append(f"{origin}: unknown setting `{raw_key}`; it is ignored")
            continue
        if not editor and key in EDITOR_ONLY:
            problems.append(f"{origin}: `{key}` is an editor setting and is ignored in this file")
            continue
        if editor and value is None:
            continue
        try:
            values[KEYS[key].name] = CONVERTERS[key](value, key)
        except SettingsError as exc:
            problems.append(f"{origin}: {exc}; the default is used")
    return values, problems


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (a file or folder)."""
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


_FILE_CACHE: dict[Path, tuple[float, dict[str, Any], list[str], tuple[int, int] | None]] = {}


def read_pyproject(path: Path) -> tuple[dict[str, Any], list[str], tuple[int, int] | None]:
    """Settings from one pyproject file: (values, problems, requires-python floor)."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}, [], None
    cached = _FILE_CACHE.get(path)
    if cached and cached[0] == mtime:
        return cached[1], cached[2], cached[3]
    values: dict[str, Any] = {}
    problems: list[str] = []
    floor = None
    try:
        data = _load_toml(path)
    except Exception as exc:  # a broken pyproject must not stop the linter
        problems.append(f"{path}: cannot read it ({exc}); the defaults are used")
        data = {}
    table = data.get("tool", {}).get("lime-task-lint", {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(table, dict):
        problems.append(f"{path}: `[tool.lime-task-lint]` must be a table; the defaults are used")
        table = {}
    values, problems2 = convert_values(table, str(path), editor=False)
    problems.extend(problems2)
    requires = data.get("project", {}).get("requires-python") if isinstance(data.get("project"), dict) else None
    if isinstance(requires, str):
        match = re.search(r">=?\s*3\.(\d+)", requires)
        if match:
            floor = (3, int(match.group(1)))
    _FILE_CACHE[path] = (mtime, values, problems, floor)
    return values, problems, floor


def _load_toml(path: Path) -> dict:
    if tomllib is not None:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    import tomli  # type: ignore[import-not-found]  # Python 3.10 (a dependency there)

    with path.open("rb") as handle:
        return tomli.load(handle)


def resolve_settings(file_path: Path | None, editor: Mapping[str, Any] | None = None,
                     overrides: Mapping[str, Any] | None = None) -> tuple[Settings, list[str], Path | None]:
    """Settings in force for ``file_path``: defaults < editor < pyproject < overrides (CLI flags).

    Returns the settings, the problems found (to report, never fatal) and the
    pyproject file used.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    if editor:
        editor_values, editor_problems = convert_values(editor, "editor settings (limeTaskLint.*)", editor=True)
        values.update(editor_values)
        problems.extend(editor_problems)
    pyproject = find_pyproject(file_path) if file_path is not None else None
    floor = None
    if pyproject is not None:
        file_values, file_problems, floor = read_pyproject(pyproject)
        values.update(file_values)
        problems.extend(file_problems)
    if overrides:
        values.update(overrides)
    settings = replace(Settings(), **values)
    if settings.target_version is None and floor is not None and floor in SUPPORTED_TARGETS:
        settings = replace(settings, target_version=floor)
    return settings, problems, pyproject


def describe(settings: Settings) -> str:
    """One line per setting, for the start-up log (settings hold no secrets)."""
    parts = []
    for f in fields(Settings):
        parts.append(f"{_kebab(f.name)}={getattr(settings, f.name)!r}")
    return ", ".join(parts)
