"""fakelime: a small, honest fake of the Lime CRM Python API for tests.

Tests run a Lime task module before and after an automatic fix and compare
`app.snapshot()` (must be equal) and `app.recorder` (round trips should
drop).  The fake therefore mimics the real API described in
shared/design/lime-api.md; where that document says the real behaviour is
unknown, each module's docstring states the choice made here.

    from fakelime import make_app, load_task_module

    mod = load_task_module(source, "before")
    app = make_app(companies=100)
    mod.sync(app)
    app.recorder.reads, app.recorder.commits, app.snapshot()

Modules: schema (declaring limetypes), store (rows, Recorder), filters
(fake lime_filter), objects (limetypes, LimeObject, accessors), uow (unit of
work), query (fake lime_query), app (FakeLimeApplication), modules (fakes
for sys.modules, load_task_module), data (seed, make_app).
"""

from .app import FakeLimeApplication, File
from .data import DEMO_SCHEMA, make_app, seed, seed_rows
from .errors import CommitError, InjectedCommitError, NotFoundError
from .filters import (
                      AndOperator,
                      EqualsOperator,
                      Filter,
                      GreaterOperator,
                      GreaterOrEqualOperator,
                      InOperator,
                      LessOperator,
                      LessOrEqualOperator,
                      LikeOperator,
                      NotEqualsOperator,
                      NotOperator,
                      OrOperator,
)
from .modules import (
                      FAKE_MODULE_NAMES,
                      CronTab,
                      ScheduledTask,
                      TaskSession,
                      installed_fake_lime_modules,
                      is_task,
                      load_task_module,
                      task,
                      task_functions,
)
from .objects import FakeLimeType, GetAllResult, LimeObject
from .query import execute_query
from .schema import BelongsTo, Field, FileField, HasMany, Option, OptionValue
from .store import Recorder, RoundTrip
from .uow import UnitOfWork, UnitOfWorkResult, create_unit_of_work

__all__ = [
                      "DEMO_SCHEMA",
                      "FAKE_MODULE_NAMES",
                      "AndOperator",
                      "BelongsTo",
                      "CommitError",
                      "CronTab",
                      "EqualsOperator",
                      "FakeLimeApplication",
                      "FakeLimeType",
                      "Field",
                      "File",
                      "FileField",
                      "Filter",
                      "GetAllResult",
                      "GreaterOperator",
                      "GreaterOrEqualOperator",
                      "HasMany",
                      "InOperator",
                      "InjectedCommitError",
                      "LessOperator",
                      "LessOrEqualOperator",
                      "LikeOperator",
                      "LimeObject",
                      "NotEqualsOperator",
                      "NotFoundError",
                      "NotOperator",
                      "Option",
                      "OptionValue",
                      "OrOperator",
                      "Recorder",
                      "RoundTrip",
                      "ScheduledTask",
                      "TaskSession",
                      "UnitOfWork",
                      "UnitOfWorkResult",
                      "create_unit_of_work",
                      "execute_query",
                      "installed_fake_lime_modules",
                      "is_task",
                      "load_task_module",
                      "make_app",
                      "seed",
                      "seed_rows",
                      "task",
                      "task_functions",
]
