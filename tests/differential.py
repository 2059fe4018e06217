"""Differential proof of fixes: run a task before and after its fixes and compare.

A fix labelled *safe* is applied unread by ``--fix`` and fix-on-save, so it must
keep what the task does.  This harness runs the original and the fixed source
of a task module on the same scenario, each on a fresh fake Lime application
(``tests/fakelime``), and compares everything an integration's owner would see:

* the return value, or the exception raised (type and message);
* the final data (``app.snapshot()``);
* the ordered side effects: each commit (what it wrote, whether it failed) and
  each HTTP call (method, URL, body), interleaved as they happened;
* the log records (level, message) and what was printed (stdout and stderr);
* secrets: a value the scenario marks secret that appears in the log or the
  output after the fix but not before.

It does not share the linter's assumptions: ``get_all`` may page lazily and see
commits made while it is iterated (``Scenario.page_size``), helper modules that
commit can be installed beside the task (``Scenario.modules``), HTTP calls can
fail (``Scenario.http_fails``), commits can fail (``Scenario.commit_fails``), and
the module's ``__file__`` lies in a folder whose name has a space and å/ä/ö.

Use :func:`assert_keeps_behaviour` for a fixture, or :func:`outcome` and
:func:`differences` directly.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).parent))

from fakelime import FakeLimeApplication, load_task_module, seed  # noqa: E402
from fakelime.modules import installed_fake_lime_modules  # noqa: E402

from lime_task_lint.fixer import fix_text  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402


@dataclass
class Scenario:
    """One run's world: the schema, the rows already stored, the task's
    arguments (after the application), and the failures to inject."""

    name: str
    schema: dict
    rows: dict = field(default_factory=dict)            # limetype -> list of property dicts
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    #: Rows per `get_all` page (None: one read with a fixed result set).
    page_size: int | None = None
    #: Other modules the task imports, by dotted name -> source (helpers that commit...).
    modules: dict = field(default_factory=dict)
    #: An HTTP call whose URL makes this true raises `requests.ConnectionError`.
    http_fails: Callable[[str], bool] | None = None
    #: A commit holding an object for which this is true fails (InjectedCommitError).
    commit_fails: Callable[[Any], bool] | None = None
    #: Values that must never reach the log or the output.
    secrets: tuple = ()
    #: Module-level state to report after the run (names of the task module's globals).
    state: tuple = ()


@dataclass
class Outcome:
    result: str | None
    exception: str | None
    data: dict
    events: list
    logs: list
    output: str
    state: dict
    reads: int = 0
    commits: int = 0

    def leaked(self, secrets) -> set[str]:
        text = self.output + "\n".join(message for _, message, _ in self.logs)
        return {s for s in secrets if s and s in text}


class _Response:
    def __init__(self, url: str, status: int = 200):
        self.url = url
        self.status_code = status
        self.ok = status < 400
        self.text = "{}"

    def json(self):
        return {}

    def raise_for_status(self):
        if not self.ok:
            raise _requests_module.HTTPError(f"{self.status_code} for {self.url}")


def _build_requests(events: list, fails) -> types.ModuleType:
    module = types.ModuleType("requests")

    class RequestException(Exception):
        pass

    class ConnectionError(RequestException):  # noqa: A001 - mimics requests
        pass

    class HTTPError(RequestException):
        pass

    module.RequestException = RequestException
    module.ConnectionError = ConnectionError
    module.HTTPError = HTTPError
    module.exceptions = types.SimpleNamespace(RequestException=RequestException, ConnectionError=ConnectionError,
                                              HTTPError=HTTPError)

    def request(method, url, *args, **kwargs):
        body = kwargs.get("json", kwargs.get("data"))
        events.append(("http", method.upper(), str(url), repr(body)))
        if fails is not None and fails(str(url)):
            raise ConnectionError(f"cannot reach {url}")
        return _Response(str(url))

    module.request = request
    for verb in ("get", "post", "put", "patch", "delete", "head"):
        setattr(module, verb, (lambda v: lambda url, *a, **k: request(v, url, *a, **k))(verb))
    module.Session = lambda: module
    return module


_requests_module: Any = None
#: Where the task module "lives" (its __file__): a folder with a space and å/ä/ö.
MODULE_FOLDER = Path("/tmp/Åsa projekt/åtgärder")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception as exc:  # a bad lazy format: what logging itself would print
            message = f"<formatting failed: {type(exc).__name__}>"
        error = None
        if record.exc_info and record.exc_info[1] is not None:
            error = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        self.records.append((record.levelname, message, error))


def outcome(source: str, task: str, scenario: Scenario, *, module_name: str = "task_module") -> Outcome:
    """Run ``task`` of ``source`` on a fresh fake application in ``scenario``."""
    global _requests_module
    app = FakeLimeApplication(scenario.schema, page_size=scenario.page_size)
    for limetype, rows in scenario.rows.items():
        seed(app, limetype, rows)
    if scenario.commit_fails is not None:
        app.fail_commit_when(scenario.commit_fails)
    events: list = []
    _requests_module = _build_requests(events, scenario.http_fails)
    recorder = app.recorder
    original_record = recorder.record

    def record(kind, limetype=None, **detail):
        original_record(kind, limetype, **detail)
        if kind == "commit":
            events.append(("commit", tuple(sorted(detail.get("limetypes", {}).items())), detail.get("written"),
                           detail.get("ok")))

    recorder.record = record  # type: ignore[method-assign]
    capture = _Capture()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    output = io.StringIO()
    saved = {name: sys.modules.get(name) for name in ["requests", *scenario.modules]}
    result = exception = None
    module = None
    try:
        with installed_fake_lime_modules(app):
            sys.modules["requests"] = _requests_module
            for name, text in scenario.modules.items():
                helper = load_task_module(text, name)
                sys.modules[name] = helper
            module = load_task_module(source, module_name, filename=str(MODULE_FOLDER / f"{module_name}.py"))
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                try:
                    result = repr(getattr(module, task)(app, *scenario.args, **scenario.kwargs))
                except Exception as exc:  # the task's own failure is part of what it does
                    exception = f"{type(exc).__name__}: {exc}"
    finally:
        root.removeHandler(capture)
        root.setLevel(previous_level)
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value
    state = {name: repr(getattr(module, name, None)) for name in scenario.state} if module else {}
    return Outcome(result, exception, app.snapshot(), events, capture.records, output.getvalue(), state,
                   recorder.reads, recorder.commits)


def _ungrouped(events: list) -> tuple:
    """The events with commits summed per limetype instead of one per call (HTTP
    calls kept in order): for fixes whose documented change is how writes are
    grouped into commits."""
    http = [e for e in events if e[0] == "http"]
    written: dict = {}
    for event in events:
        if event[0] == "commit" and event[3]:
            for limetype, count in event[1]:
                written[limetype] = written.get(limetype, 0) + count
    return http, sorted(written.items())


def differences(before: Outcome, after: Outcome, *, messages: str = "exact", commits: str = "exact",
                secrets=()) -> list[str]:
    """What the fix changed, as readable lines (empty: nothing).  ``messages``:
    "exact" compares log records (level, text, attached exception) and output,
    "text" the same without the attached exception (a fix that adds the
    traceback on purpose), "count" only their number (for fixes that turn
    prints into log records or reword on purpose);
    ``commits``: "exact" compares every commit in order, "grouping" allows the
    same objects to be committed in other groups (batching)."""
    out = []
    for name in ("result", "exception", "data", "events", "state"):
        first, second = getattr(before, name), getattr(after, name)
        if name == "events" and commits == "grouping":
            first, second = _ungrouped(first), _ungrouped(second)
        if first != second:
            out.append(f"{name}: {first!r} -> {second!r}")
    if messages in ("exact", "text"):
        first, second = before.logs, after.logs
        if messages == "text":  # a traceback attached on purpose (LIME301) is not a change
            first, second = [r[:2] for r in first], [r[:2] for r in second]
        if first != second:
            out.append(f"logs: {first!r} -> {second!r}")
        if before.output != after.output:
            out.append(f"output: {before.output!r} -> {after.output!r}")
    else:
        count = len(before.logs) + before.output.count("\n")
        count_after = len(after.logs) + after.output.count("\n")
        if count != count_after:
            out.append(f"messages: {count} -> {count_after}")
    leaked = after.leaked(secrets) - before.leaked(secrets)
    if leaked:
        out.append(f"secrets now written: {sorted(leaked)}")
    return out


def fixed(source: str, *, unsafe: bool = False, codes: set[str] | None = None,
          settings: Settings | None = None, path: str = "task_module.py") -> str:
    """The source after ``check --fix`` (``unsafe``: ``--unsafe-fixes``)."""
    return fix_text(source, settings or Settings(target_version=(3, 10)), path=path, unsafe=unsafe,
                    codes=codes).text


def assert_keeps_behaviour(source: str, task: str, scenarios: list[Scenario], *, unsafe: bool = False,
                           codes: set[str] | None = None, messages: str = "exact", commits: str = "exact",
                           settings: Settings | None = None) -> str:
    """Fix ``source`` and assert every scenario behaves the same; returns the fixed text."""
    after_source = fixed(source, unsafe=unsafe, codes=codes, settings=settings)
    compile(after_source, "<fixed>", "exec")
    for scenario in scenarios:
        before = outcome(source, task, scenario)
        after = outcome(after_source, task, scenario)
        changed = differences(before, after, messages=messages, commits=commits, secrets=scenario.secrets)
        assert not changed, f"scenario {scenario.name}: the fix changed what the task does:\n" + \
            "\n".join(changed) + f"\n--- fixed source ---\n{after_source}"
    return after_source
