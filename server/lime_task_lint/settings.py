"""Typed settings from the project's configuration file and from the editor.

Where they come from, as in ruff: the nearest ``.lime-task-lint.toml`` or
``lime-task-lint.toml`` (keys at the top level) or ``pyproject.toml`` *with a*
``[tool.lime-task-lint]`` table, at or above the file (a ``pyproject.toml``
without the table does not hide its parent's); or one file named with
``--config``.  The project file wins: editor settings only fill in what it does
not set, so a team shares one configuration and CI sees the same rules as the
editor.  A wrong key or type never stops the tool: it is reported once, naming
the key and the file, and the default is used.

One place decides each of these, for the CLI, the checker and the editor:

- the lowest Python the code must run on (:attr:`Settings.python_version`,
  filled by :func:`resolve_settings` from ``target-version``, else the
  ``requires-python`` of the nearest ``pyproject.toml`` that declares one,
  read with PEP 440 semantics by :func:`python_floor`);
- which files ``exclude`` and ``per-file-ignores`` patterns match
  (:func:`is_excluded`, :func:`per_file_ignored_codes`: gitignore-style
  patterns through ``pathspec``, relative to the configuration file's folder);
- the severity a finding is shown with (:meth:`Settings.severity_for`);
- whether this version satisfies ``required-version``
  (:func:`required_version_problem`).
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # imported where used: a run answered from the cache needs neither (40 ms)
    from packaging.specifiers import SpecifierSet
    from pathspec import PathSpec

from . import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]

DOCSTRING_STYLES = ("google", "numpy", "sphinx")
LOG_LEVELS = ("error", "warning", "info", "debug")
SUPPORTED_TARGETS = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14))
#: ``target-version`` may name an older Python the code must still run on (as ruff's
#: py37..): fixes then never write newer syntax or library calls.
OLDEST_TARGET = (3, 7)
SEVERITIES = ("error", "warning", "information", "hint", "off")
#: Configuration files read from a folder, in this order (``pyproject.toml`` only with the table).
CONFIG_NAMES = (".lime-task-lint.toml", "lime-task-lint.toml", "pyproject.toml")
TOOL_TABLE = "lime-task-lint"


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("LIME",)
    ignore: tuple[str, ...] = ()
    #: Added to ``select`` by :func:`resolve_settings` (a later ``select`` drops earlier extensions).
    extend_select: tuple[str, ...] = ()
    #: Added to ``ignore`` by :func:`resolve_settings`.
    extend_ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    #: Code or prefix -> error | warning | information | hint | off (off: added to ``ignore``).
    severity: Mapping[str, str] = field(default_factory=dict)
    respect_gitignore: bool = True
    #: Apply ``exclude`` to files named on the command line too (pre-commit passes every file).
    force_exclude: bool = False
    #: A PEP 440 specifier this tool's version must satisfy (a bare version means ``==``).
    required_version: str | None = None
    batch_size: int = 50
    memory_budget_mb: float = 200.0
    docstring_style: str = "google"
    object_counts: Mapping[str, int] = field(default_factory=dict)
    default_object_count: int = 100_000
    object_size_kb: Mapping[str, float] = field(default_factory=dict)
    default_object_size_kb: float = 1.0
    #: The lowest Python the code must run on, ``(3, minor)``; may be older than
    #: :data:`SUPPORTED_TARGETS` when ``requires-python`` allows it.  ``None``: the
    #: running interpreter.
    target_version: tuple[int, int] | None = None
    max_complexity: int = 10
    unsafe_fixes: bool = False
    read_latency_ms: float = 5.0
    #: One commit's fixed cost (a transaction: begin, validation, the commit itself).
    commit_latency_ms: float = 25.0
    #: What each object a commit writes adds to it (the row's INSERT/UPDATE and its hooks).
    write_per_object_ms: float = 2.0
    external_call_latency_ms: float = 150.0
    per_object_ms: float = 0.05
    code_lens: bool = True
    #: ``"<limetype>.<relation>"`` (or ``"<relation>"`` for any limetype) -> the related
    #: limetype, for pre-fetching what ``obj.properties.<relation>.fetch()`` reads.
    relations: Mapping[str, str] = field(default_factory=dict)
    #: The most keys one ``InOperator`` pre-fetch asks for; longer key lists are read in chunks.
    prefetch_chunk_size: int = 1000
    #: Where the CLI's result cache lives (relative paths: from the project root);
    #: None: ``$LIME_TASK_LINT_CACHE_DIR``, else ``<root>/.lime-task-lint-cache``.
    cache_dir: str | None = None
    # Editor-only settings: the project file cannot set these.
    debounce_ms: int = 300
    log_level: str = "info"
    #: Lint the documents of this folder at all (a per-folder switch).
    enable: bool = True
    #: Offer Lime's fixes under ``source.fixAll`` (``"source.fixAll": "explicit"`` on save).
    fix_all: bool = True
    #: Pop-ups: off | onError | onWarning | always (everything is logged either way).
    show_notifications: str = "off"
    #: When documents are linted: onType (debounced) | onSave (and on open).
    run: str = "onType"
    #: Lint files in site-packages / dist-packages and the standard library.
    lint_library_files: bool = False
    # Filled by resolve_settings, not keys: the configuration file used and the folder
    # that ``exclude`` / ``per-file-ignores`` patterns are relative to.
    config_file: Path | None = None
    project_root: Path | None = None

    def object_count(self, limetype: str | None) -> tuple[int, str]:
        """The configured count for a limetype and where it came from."""
        if limetype and limetype in self.object_counts:
            return self.object_counts[limetype], f"`object-counts.{limetype}`"
        return self.default_object_count, "`default-object-count`"

    def related_limetype(self, limetype: str | None, relation: str) -> tuple[str, str] | None:
        """The configured limetype ``<limetype>.<relation>`` points to, and the key that
        said so (``relations."deal.coworker"``); ``None`` when not configured."""
        for key in ((f"{limetype}.{relation}",) if limetype else ()) + (relation,):
            if key in self.relations:
                return self.relations[key], f'`relations."{key}"`'
        return None

    def object_size_bytes(self, limetype: str | None) -> tuple[int, str]:
        if limetype and limetype in self.object_size_kb:
            return int(self.object_size_kb[limetype] * 1024), f"`object-size-kb.{limetype}`"
        return int(self.default_object_size_kb * 1024), "`default-object-size-kb`"

    @property
    def python_version(self) -> tuple[int, int]:
        """The lowest Python ``(3, minor)`` the code must run on: what every
        version-dependent fix consults (``itertools.batched`` only from (3, 12))."""
        return self.target_version or (sys.version_info[0], sys.version_info[1])

    def severity_for(self, code: str) -> str | None:
        """The configured severity of ``code`` (the most specific ``severity`` key that is a
        prefix of it), as a :class:`~lime_task_lint.framework.Severity` value; ``None`` when
        none is configured (the rule's own severity applies) or the key says ``off``."""
        best, level = -1, None
        for prefix, value in self.severity.items():
            if (prefix == "ALL" or code.startswith(prefix)) and len(prefix) > best:
                best, level = len(prefix) if prefix != "ALL" else 0, value
        return None if level == "off" else level


EDITOR_ONLY = {"debounce-ms", "log-level", "enable", "fix-all", "show-notifications", "run", "lint-library-files"}
SHOW_NOTIFICATIONS = ("off", "onError", "onWarning", "always")
RUN_MODES = ("onType", "onSave")
#: Fields filled by resolve_settings: no file or editor sets them.
INTERNAL = {"config-file", "project-root"}
#: Keys the editor sends that the server does not use (the client reads them).
#: Keys only a project file (or the CLI) sets: not editor settings.
PROJECT_ONLY = {"required-version", "cache-dir", "force-exclude"}
CLIENT_ONLY = {"interpreter", "import-strategy", "trace", "code-lens-enabled"}


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).replace("_", "-").lower()


KEYS = {_kebab(f.name): f for f in fields(Settings) if _kebab(f.name) not in INTERNAL}


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


def _exact_choice(options: tuple[str, ...]):
    """Like ``_choice`` for camelCase values (``onSave``): any case in, the option's spelling out."""
    by_lower = {option.lower(): option for option in options}

    def convert(value: Any, key: str) -> str:
        if not isinstance(value, str) or value.lower() not in by_lower:
            raise SettingsError(f"`{key}` must be one of {', '.join(options)}, got {value!r}")
        return by_lower[value.lower()]

    return convert


def _path_text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"`{key}` must be a folder path (text), got {value!r}")
    return value


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


def _relations(value: Any, key: str) -> dict[str, str]:
    """``{"deal.coworker" = "coworker"}``; an unquoted dotted key (a nested table in
    TOML: ``deal.coworker = "coworker"``) means the same."""
    if not isinstance(value, Mapping):
        raise SettingsError(f"`{key}` must be a table of \"limetype.relation\" = \"related limetype\"")
    table: dict[str, str] = {}
    for name, related in value.items():
        pairs = ([(f"{name}.{inner}", target) for inner, target in related.items()]
                 if isinstance(related, Mapping) else [(str(name), related)])
        for relation, target in pairs:
            parts = relation.split(".")
            if len(parts) > 2 or not all(part.isidentifier() for part in parts):
                raise SettingsError(f"`{key}.{relation}` must name `limetype.relation` or `relation`")
            if not isinstance(target, str) or not target.isidentifier():
                raise SettingsError(f"`{key}.{relation}` must be a limetype name, got {target!r}")
            table[relation] = target
    return table


def parse_target_version(value: Any, key: str = "target-version") -> tuple[int, int] | None:
    """``"py311"`` -> ``(3, 11)``; py37 up to the newest supported version."""
    if value in (None, ""):
        return None
    match = re.fullmatch(r"py3(\d{1,2})", str(value).strip().lower())
    version = (3, int(match.group(1))) if match else None
    newest = SUPPORTED_TARGETS[-1]
    if version is None or not OLDEST_TARGET <= version <= newest:
        raise SettingsError(f"`{key}` must be py3N from py{OLDEST_TARGET[0]}{OLDEST_TARGET[1]} to "
                            f"py{newest[0]}{newest[1]}, got {value!r}")
    return version


def _severities(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise SettingsError(f"`{key}` must be a table of CODE = \"{'|'.join(SEVERITIES)}\"")
    table: dict[str, str] = {}
    for code, level in value.items():
        [normalised] = _codes([str(code)], f"{key}.{code}")
        level_text = str(level).strip().lower() if isinstance(level, str) else None
        level_text = {"info": "information"}.get(level_text, level_text)
        if level_text not in SEVERITIES:
            raise SettingsError(f"`{key}.{code}` must be one of {', '.join(SEVERITIES)}, got {level!r}")
        table[normalised] = level_text
    return table


def _specifier(text: str) -> SpecifierSet:
    """A PEP 440 specifier set; a bare version means ``==`` it (as ruff's ``required-version``)."""
    from packaging.specifiers import SpecifierSet

    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)*", text):
        text = f"=={text}"
    return SpecifierSet(text)


def _required_version(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise SettingsError(f"`{key}` must be a version specifier such as \">=0.1\", got {value!r}")
    from packaging.specifiers import InvalidSpecifier

    try:
        _specifier(value)
    except InvalidSpecifier:
        raise SettingsError(f"`{key}` is not a version specifier (PEP 440), got {value!r}") from None
    return value.strip()


def required_version_problem(settings: Settings, version: str = __version__) -> str | None:
    """A message when ``version`` (this tool's, by default) does not satisfy the
    configuration's ``required-version``, else ``None`` (also when none is set).
    The CLI stops with it (exit 2); the editor shows it as a warning."""
    if not settings.required_version:
        return None
    from packaging.version import Version

    if _specifier(settings.required_version).contains(Version(version), prereleases=True):
        return None
    origin = f" ({settings.config_file})" if settings.config_file else ""
    return (f"required-version {settings.required_version!r}{origin} is not satisfied by "
            f"lime-task-lint {version}; install a version that satisfies it")


CONVERTERS = {
    "select": _codes,
    "ignore": _codes,
    "extend-select": _codes,
    "extend-ignore": _codes,
    "per-file-ignores": _mapping(_codes),
    "exclude": _strings,
    "extend-exclude": _strings,
    "severity": _severities,
    "respect-gitignore": _bool,
    "force-exclude": _bool,
    "required-version": _required_version,
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
    "write-per-object-ms": _positive_number,
    "code-lens": _bool,
    "relations": _relations,
    "prefetch-chunk-size": _positive_int,
    "cache-dir": _path_text,
    "debounce-ms": _non_negative_int,
    "log-level": _choice(LOG_LEVELS),
    "enable": _bool,
    "fix-all": _bool,
    "show-notifications": _exact_choice(SHOW_NOTIFICATIONS),
    "run": _exact_choice(RUN_MODES),
    "lint-library-files": _bool,
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


# -- reading configuration files ------------------------------------------------------
_TOML_CACHE: dict[Path, tuple[float, dict[str, Any] | Exception]] = {}


def _toml(path: Path) -> dict[str, Any] | None:
    """The parsed file (cached while its mtime stays), ``None`` when it cannot be
    stat'ed; raises what the parser raised for a broken file."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    cached = _TOML_CACHE.get(path)
    if cached is None or cached[0] != mtime:
        try:
            data: dict[str, Any] | Exception = _load_toml(path)
        except Exception as exc:  # a broken file must not stop the linter
            data = exc
        cached = _TOML_CACHE[path] = (mtime, data)
    if isinstance(cached[1], Exception):
        raise cached[1]
    return cached[1]


def _tool_table(data: Mapping[str, Any]) -> Any:
    tool = data.get("tool")
    return tool.get(TOOL_TABLE) if isinstance(tool, Mapping) else None


def _has_tool_table(path: Path) -> bool:
    try:
        data = _toml(path)
    except Exception:
        return True  # a broken pyproject is reported by the one who reads it, not skipped silently
    return data is not None and _tool_table(data) is not None


def find_config(start: Path) -> Path | None:
    """The configuration file for ``start`` (a file or folder): the nearest folder at or
    above it holding ``.lime-task-lint.toml``, ``lime-task-lint.toml`` or a
    ``pyproject.toml`` with a ``[tool.lime-task-lint]`` table, in that order."""
    start = start.absolute()
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
    return None


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (a file or folder), table or not."""
    start = start.absolute()
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_config(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The settings in one configuration file: ``(values by field name, problems)``.

    A ``pyproject.toml`` holds them in ``[tool.lime-task-lint]``; any other TOML
    file in that table when it has one, else at the top level.
    """
    try:
        data = _toml(path)
    except Exception as exc:
        return {}, [f"{path}: cannot read it ({exc}); the defaults are used"]
    if data is None:
        return {}, [f"{path}: no such configuration file; the defaults are used"]
    table = _tool_table(data)
    if table is None and path.name != "pyproject.toml":
        table = data
    if table is None:
        return {}, []
    if not isinstance(table, Mapping):
        return {}, [f"{path}: `[tool.{TOOL_TABLE}]` must be a table; the defaults are used"]
    return convert_values(table, str(path), editor=False)


# Kept for callers that read a pyproject's settings directly.
def read_pyproject(path: Path) -> tuple[dict[str, Any], list[str], tuple[int, int] | None]:
    """Settings from one pyproject file: (values, problems, its requires-python floor)."""
    values, problems = read_config(path)
    floor, floor_problems = _declared_floor(path)
    return values, problems + floor_problems, floor


def _load_toml(path: Path) -> dict:
    if tomllib is not None:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    import tomli  # type: ignore[import-not-found]  # Python 3.10 (a dependency there)

    with path.open("rb") as handle:
        return tomli.load(handle)


# -- the Python the code must run on ----------------------------------------------------
def _poetry_to_pep440(constraint: str) -> str:
    """One Poetry constraint (``^3.10``, ``~3.10``, ``3.10.*``, ``3.10``, ``>=3.9 <4``)
    as a PEP 440 specifier set."""
    parts = []
    for token in re.findall(r"(?:[<>=!~^]=?|===?)?\s*[0-9*][0-9A-Za-z.*+!-]*", constraint):
        token = token.replace(" ", "")
        caret = re.fullmatch(r"\^(\d+)(?:\.(\d+))?(?:\.(\d+))?", token)
        tilde = re.fullmatch(r"~(\d+)(?:\.(\d+))?(?:\.(\d+))?", token)
        if caret:
            major, minor, patch = (int(g) if g is not None else None for g in caret.groups())
            floor = ".".join(str(g) for g in (major, minor, patch) if g is not None)
            if major:
                ceiling = f"{major + 1}"
            elif minor:
                ceiling = f"0.{minor + 1}"
            else:
                ceiling = f"0.0.{(patch or 0) + 1}"
            parts += [f">={floor}", f"<{ceiling}"]
        elif tilde:
            major, minor, patch = (int(g) if g is not None else None for g in tilde.groups())
            floor = ".".join(str(g) for g in (major, minor, patch) if g is not None)
            parts += [f">={floor}", f"<{major}.{minor + 1}" if minor is not None else f"<{major + 1}"]
        elif token == "*":
            continue
        elif re.fullmatch(r"\d+(\.\d+)*(\.\*)?", token):
            parts.append(f"=={token}" if token.endswith("*") else f"=={token}.*")
        else:
            parts.append(token)
    return ",".join(parts)


def python_floor(requirement: str, *, poetry: bool = False) -> tuple[int, int] | None:
    """The lowest Python 3 minor version ``(3, minor)`` that ``requirement`` allows.

    ``requirement`` is a PEP 440 specifier set (``requires-python``: ``">=3.9"``,
    ``"~=3.10"``, ``">=3.9.2,!=3.10.*"``) or, with ``poetry``, a Poetry constraint
    (``"^3.10"``, ``"~3.11"``, ``">=3.9,<4"``, alternatives joined by ``||``).
    ``None`` when it allows every version.  Raises :class:`SettingsError` when it
    is not a specifier or allows no Python 3 version.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    alternatives = re.split(r"\|\|?", requirement) if poetry else [requirement]
    floors = []
    for alternative in alternatives:
        text = _poetry_to_pep440(alternative) if poetry else alternative.strip()
        try:
            specifiers = SpecifierSet(text)
        except InvalidSpecifier:
            raise SettingsError(f"not a version specifier: {requirement!r}") from None
        if not list(specifiers):
            return None
        floor = _lowest_minor(specifiers)
        if floor is not None:
            floors.append(floor)
    if not floors:
        raise SettingsError(f"{requirement!r} allows no Python 3 version")
    return min(floors)


@functools.lru_cache(maxsize=256)
def _lowest_minor(specifiers: SpecifierSet) -> tuple[int, int] | None:
    # A minor version is allowed when any of its releases is: ">=3.9.2" allows 3.9.
    from packaging.version import InvalidVersion, Version

    for minor in range(0, 40):
        for patch in range(0, 40):
            try:
                if specifiers.contains(Version(f"3.{minor}.{patch}"), prereleases=True):
                    return (3, minor)
            except InvalidVersion:  # pragma: no cover - the versions above are valid
                continue
    return None


def _declared_floor(pyproject: Path) -> tuple[tuple[int, int] | None, list[str]]:
    """The floor a pyproject declares (``[project] requires-python``, else Poetry's
    ``[tool.poetry.dependencies] python``) and problems reading it."""
    try:
        data = _toml(pyproject)
    except Exception:
        return None, []  # reported by read_config when it is the configuration file
    if not data:
        return None, []
    project = data.get("project")
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, Mapping) else None
    dependencies = poetry.get("dependencies") if isinstance(poetry, Mapping) else None
    candidates = [("project.requires-python", project.get("requires-python") if isinstance(project, Mapping)
                   else None, False),
                  ("tool.poetry.dependencies.python", dependencies.get("python")
                   if isinstance(dependencies, Mapping) else None, True)]
    for key, value, poetry_syntax in candidates:
        if value is None:
            continue
        if not isinstance(value, str):
            return None, [f"{pyproject}: `{key}` must be a string such as \">=3.10\"; "
                          "the running interpreter's version is used"]
        try:
            return python_floor(value, poetry=poetry_syntax), []
        except SettingsError as exc:
            return None, [f"{pyproject}: `{key}`: {exc}; the running interpreter's version is used"]
    return None, []


def declares_python(pyproject: Path) -> bool:
    try:
        data = _toml(pyproject)
    except Exception:
        return False
    if not data:
        return False
    project = data.get("project")
    if isinstance(project, Mapping) and "requires-python" in project:
        return True
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, Mapping) else None
    dependencies = poetry.get("dependencies") if isinstance(poetry, Mapping) else None
    return isinstance(dependencies, Mapping) and "python" in dependencies


def _python_requirement(start: Path) -> tuple[tuple[int, int] | None, list[str]]:
    """The floor declared by the nearest ``pyproject.toml`` at or above ``start`` that
    declares one: the package the file belongs to, whatever file holds the settings."""
    start = start.absolute()
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and declares_python(candidate):
            return _declared_floor(candidate)
    return None, []


# -- which files patterns match ---------------------------------------------------------
@functools.lru_cache(maxsize=512)
def _pathspec(patterns: tuple[str, ...]) -> PathSpec:
    from pathspec import PathSpec

    try:
        return PathSpec.from_lines("gitignore", patterns)
    except KeyError:  # pathspec before 1.0 names the same patterns "gitwildmatch"
        return PathSpec.from_lines("gitwildmatch", patterns)


def _relative_to_root(path: Path | str, root: Path | None) -> str:
    """``path`` as the patterns see it: relative to ``root`` with ``/``; outside it, the
    absolute path without its leading ``/`` (so patterns without a ``/`` still match)."""
    path = Path(path)
    absolute = Path(os.path.abspath(path))
    if root is not None:
        try:
            return absolute.relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            try:
                return absolute.resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                pass
    return absolute.as_posix().lstrip("/")


def is_excluded(path: Path | str, settings: Settings, root: Path | None = None, *, is_dir: bool = False) -> bool:
    """Whether ``exclude`` / ``extend-exclude`` match ``path`` (a file, or a folder with
    ``is_dir``), with ruff's meaning: gitignore-style patterns relative to ``root``
    (default: the configuration file's folder); a pattern without ``/`` (``legacy``,
    ``*_old.py``) matches that name anywhere, one with ``/`` (``tests/*.py``,
    ``tests/**/*.py``, ``**/tests/*.py``) is anchored at the root; a folder's
    pattern excludes everything in it."""
    patterns = tuple(settings.exclude) + tuple(settings.extend_exclude)
    if not patterns:
        return False
    relative = _relative_to_root(path, root if root is not None else settings.project_root)
    if is_dir:
        relative = relative.rstrip("/") + "/"
    return _pathspec(patterns).match_file(relative)


def per_file_ignored_codes(path: Path | str | None, settings: Settings, root: Path | None = None) -> tuple[str, ...]:
    """The codes ``per-file-ignores`` turn off for ``path``: the codes of every pattern
    that matches it (same pattern meaning as :func:`is_excluded`; a pattern starting
    with ``!`` applies to the files it does *not* match, as in ruff)."""
    if not path or not settings.per_file_ignores:
        return ()
    relative = _relative_to_root(path, root if root is not None else settings.project_root)
    codes: list[str] = []
    for pattern, pattern_codes in settings.per_file_ignores.items():
        negated = pattern.startswith("!")
        matched = _pathspec((pattern[1:] if negated else pattern,)).match_file(relative)
        if matched != negated:
            codes.extend(pattern_codes)
    return tuple(codes)


# -- resolving ----------------------------------------------------------------------------
def _merge(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """Later layers win key by key; ``extend-select`` / ``extend-ignore`` add up (a
    layer that sets ``select`` drops the extensions before it, as in ruff)."""
    values: dict[str, Any] = {}
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    for layer in layers:
        if "select" in layer:
            extend_select = ()
        extend_select += tuple(layer.get("extend_select", ()))
        extend_ignore += tuple(layer.get("extend_ignore", ()))
        values.update(layer)
    values["extend_select"], values["extend_ignore"] = extend_select, extend_ignore
    values["select"] = tuple(values.get("select", Settings.select)) + extend_select
    off = tuple(code for code, level in values.get("severity", {}).items() if level == "off")
    values["ignore"] = tuple(values.get("ignore", Settings.ignore)) + extend_ignore + off
    return values


def resolve_settings(file_path: Path | None, editor: Mapping[str, Any] | None = None,
                     overrides: Mapping[str, Any] | None = None, *,
                     config: Path | None = None) -> tuple[Settings, list[str], Path | None]:
    """Settings in force for ``file_path``: defaults < editor < configuration file < overrides (CLI flags).

    ``config`` names the configuration file to use instead of discovering it
    (``--config``).  Returns the settings, the problems found (to report, never
    fatal) and the configuration file used -- else the nearest ``pyproject.toml``,
    whose folder is still the project's root.
    """
    problems: list[str] = []
    layers: list[dict[str, Any]] = []
    if editor:
        editor_values, editor_problems = convert_values(editor, "editor settings (limeTaskLint.*)", editor=True)
        layers.append(editor_values)
        problems.extend(editor_problems)
    config_file = config if config is not None else find_config(file_path) if file_path is not None else None
    if config_file is not None:
        config_file = config_file.absolute()
        file_values, file_problems = read_config(config_file)
        layers.append(file_values)
        problems.extend(file_problems)
    if overrides:
        layers.append(dict(overrides))
    values = _merge(layers)
    anchor = config_file if config_file is not None else \
        find_pyproject(file_path) if file_path is not None else None
    values["config_file"] = config_file
    values["project_root"] = anchor.parent if anchor is not None else None
    settings = replace(Settings(), **values)
    if settings.target_version is None:
        start = file_path if file_path is not None else config_file
        if start is not None:
            floor, floor_problems = _python_requirement(start)
            problems.extend(floor_problems)
            if floor is not None:
                settings = replace(settings, target_version=floor)
    return settings, problems, anchor


def describe(settings: Settings) -> str:
    """One line per setting, for the start-up log (settings hold no secrets)."""
    parts = []
    for f in fields(Settings):
        parts.append(f"{_kebab(f.name)}={getattr(settings, f.name)!r}")
    return ", ".join(parts)
