"""Fake Lime modules for `sys.modules`, so real task source runs unchanged.

Installs: lime_task (`task`), lime_task.schedule (`ScheduledTask`,
`CronTab`, `TaskSession`), lime_application (`LimeApplication`,
`get_application`, `list_applications`), lime_type (`LimeObject`,
`LimeType`), lime_type.limeobjects (`LimeObject`, the `*PropertyAccessor`
classes), lime_type.unit_of_work (`UnitOfWork`, `create_unit_of_work`),
lime_filter and lime_filter.filter (operators), lime_query
(`execute_query`), lime_errors (`NotFoundError`), lime_file (`File`).
Names lime-api.md lists but the fake lacks (send_task, QueryBuilder,
create_limeobjects_from_dsl, ...) are absent on purpose: importing them
fails loudly instead of running a guess.
"""

from __future__ import annotations

import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import errors, filters, objects, query, uow
from .app import FakeLimeApplication, File


def task(func=None, **options):
    """Mimics `lime_task.task`: usable as `@task` and `@task(qos=...)`.
    Returns the function itself, marked with `__lime_task__ = options`."""
    if func is None:
        return lambda f: task(f, **options)
    func.__lime_task__ = dict(options)
    return func


def is_task(func) -> bool:
    return hasattr(func, "__lime_task__")


@dataclass
class TaskSession:
    user_name: str = None
    language: str = None


@dataclass
class CronTab:
    """Celery-crontab-like fields; values are kept as given."""

    minute: object = "*"
    hour: object = "*"
    day_of_week: object = "*"
    day_of_month: object = "*"
    month_of_year: object = "*"


@dataclass
class ScheduledTask:
    task: object
    session: TaskSession = None
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    schedule: CronTab = None


_current_apps: list = []


def _get_application(name=None):
    """`lime_application.get_application`: the app given to
    `installed_fake_lime_modules(application=...)`."""
    for app in reversed(_current_apps):
        if app is not None and (name is None or name == app.identifier):
            return app
    raise LookupError(f"no fake application {name!r} installed")


def _module(name, **attrs):
    mod = types.ModuleType(name, f"fakelime stand-in for {name}")
    mod.__dict__.update(attrs)
    return mod


def build_fake_modules() -> dict:
    """{module name: fresh module object}; the classes inside are shared, so
    e.g. `lime_errors.NotFoundError is fakelime.NotFoundError`."""
    flt = {n: getattr(filters, n) for n in (
        "Filter", "EqualsOperator", "NotEqualsOperator", "LikeOperator", "InOperator",
        "AndOperator", "OrOperator", "NotOperator", "GreaterOperator",
        "GreaterOrEqualOperator", "LessOperator", "LessOrEqualOperator")}
    accessors = {n: getattr(objects, n) for n in (
        "PropertyAccessor", "OptionPropertyAccessor", "BelongsToPropertyAccessor",
        "HasManyPropertyAccessor", "FilePropertyAccessor")}
    schedule = _module("lime_task.schedule", ScheduledTask=ScheduledTask, CronTab=CronTab,
                       TaskSession=TaskSession)
    limeobjects = _module("lime_type.limeobjects", LimeObject=objects.LimeObject, **accessors)
    unit_of_work = _module("lime_type.unit_of_work", UnitOfWork=uow.UnitOfWork,
                           UnitOfWorkResult=uow.UnitOfWorkResult,
                           create_unit_of_work=uow.create_unit_of_work)
    filter_sub = _module("lime_filter.filter", **flt)
    mods = {
        "lime_task": _module("lime_task", task=task, schedule=schedule, __path__=[]),
        "lime_task.schedule": schedule,
        "lime_application": _module(
            "lime_application", LimeApplication=FakeLimeApplication,
            get_application=_get_application,
            list_applications=lambda: [a for a in _current_apps if a is not None]),
        "lime_type": _module("lime_type", LimeObject=objects.LimeObject,
                             LimeType=objects.FakeLimeType, limeobjects=limeobjects,
                             unit_of_work=unit_of_work, __path__=[]),
        "lime_type.limeobjects": limeobjects,
        "lime_type.unit_of_work": unit_of_work,
        "lime_filter": _module("lime_filter", filter=filter_sub, __path__=[], **flt),
        "lime_filter.filter": filter_sub,
        "lime_query": _module("lime_query", execute_query=query.execute_query),
        "lime_errors": _module("lime_errors", NotFoundError=errors.NotFoundError),
        "lime_file": _module("lime_file", File=File),
    }
    return mods


FAKE_MODULE_NAMES = tuple(build_fake_modules())


@contextmanager
def installed_fake_lime_modules(application=None):
    """Context manager: put the fake modules into sys.modules, restore what
    was there on exit.  Nests.  `application` (optional) is what
    `lime_application.get_application()` returns inside the block.

    Task functions that import Lime modules inside their body must also be
    *called* inside this block."""
    saved = {name: sys.modules.get(name) for name in FAKE_MODULE_NAMES}
    sys.modules.update(build_fake_modules())
    _current_apps.append(application)
    try:
        yield
    finally:
        _current_apps.pop()
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


def load_task_module(source: str, name: str = "task_module", filename: str | None = None):
    """Execute `source` as a fresh module named `name` with the fakes
    installed, and return it.  Each call builds a new module, so "before"
    and "after" versions of a file can be loaded side by side.  The module
    is in sys.modules[name] only while it executes (dataclasses and the
    like need that); relative imports are not supported."""
    module = types.ModuleType(name)
    module.__file__ = filename or f"<fakelime:{name}>"
    code = compile(source, module.__file__, "exec")
    previous = sys.modules.get(name)
    with installed_fake_lime_modules():
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)  # noqa: S102 - running task source is the point
        finally:
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
    return module


def task_functions(module) -> dict:
    """{name: function} of the `@task` functions defined in a loaded module."""
    return {n: f for n, f in vars(module).items() if callable(f) and is_task(f)}
