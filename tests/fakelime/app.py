"""The fake application (stands in for `lime_application.LimeApplication`).

Members mimic lime-api.md §7: `app.limetypes`, `app.unit_of_work()`,
`app.user` (`.id`), `app.coworker`, `app.identifier`, `app.files`
(`fetch(file_id)`), `app.database.connection`, `app.acl`.  Test-only members:
`app.recorder`, `app.snapshot()`, `app.fail_commit_when()`, `app.files.add()`.
"""

from __future__ import annotations

import io
import os
from types import SimpleNamespace

from .errors import NotFoundError
from .objects import FakeLimeType, LimeTypes
from .schema import parse_schema
from .store import Recorder, Table
from .uow import UnitOfWork


class Store:
    """The fake database: one Table per limetype, a global id counter, files."""

    def __init__(self, schema, norm):
        self.tables = {name: Table(name, props, norm) for name, props in schema.items()}
        self.files: dict[int, tuple] = {}
        self._last_id = 1000

    def new_id(self) -> int:
        self._last_id += 1
        return self._last_id


class File:
    """Mimics `lime_file.File`: `.filename`, `.mimetype`, `.extension`, `.stream`."""

    def __init__(self, id, filename, mimetype, data):
        self.id = id
        self.filename = filename
        self.mimetype = mimetype
        self.extension = os.path.splitext(filename)[1].lstrip(".")
        self.stream = io.BytesIO(data)


class Files:
    """`app.files`."""

    def __init__(self, application):
        self._app = application

    def add(self, data: bytes, filename: str, mimetype="application/octet-stream") -> int:
        """Test setup: store a file without a round trip; returns its id."""
        file_id = self._app._store.new_id()
        self._app._store.files[file_id] = (filename, mimetype, bytes(data))
        return file_id

    def fetch(self, file_id) -> File:
        """One "files.fetch" read; NotFoundError for an unknown id."""
        self._app.recorder.record("files.fetch", None, id=file_id)
        try:
            filename, mimetype, data = self._app._store.files[file_id]
        except KeyError:
            raise NotFoundError(f"file {file_id!r} not found") from None
        return File(file_id, filename, mimetype, data)


class FakeLimeApplication:
    """`FakeLimeApplication(schema, *, name="fakeapp", case_insensitive=True)`.

    `schema` is described in fakelime.schema.  `case_insensitive` makes
    string comparisons in filters and queries ignore case, like the SQL
    Server collation real Lime databases use (an assumption).
    """

    def __init__(self, schema: dict, *, name="fakeapp", case_insensitive=True, page_size=None):
        self.schema = parse_schema(schema)
        #: None: `get_all()` reads its whole result set when iteration starts (one
        #: round trip, a fixed cursor).  A number: it pages like a REST API, one
        #: "get_all" read per page of that many rows by offset, each page reading
        #: the store as it is then, so commits made while iterating are seen (and
        #: can shift the pages).  Fixes may not rely on either.
        self.page_size = page_size
        self.case_insensitive = case_insensitive
        self.identifier = name
        self.name = name
        self.recorder = Recorder()
        self._store = Store(self.schema, self._norm)
        self._commit_failures = []
        self.limetypes = LimeTypes(self, {
            lt: FakeLimeType(self, lt, props, self._store.tables[lt])
            for lt, props in self.schema.items()})
        self.files = Files(self)
        self.database = SimpleNamespace(connection=SimpleNamespace(name=f"{name}-connection"))
        self.acl = SimpleNamespace(name=f"{name}-acl")
        self.user = SimpleNamespace(id=1, name="integration", username="integration")
        self.coworker = None

    def _norm(self, value):
        if self.case_insensitive and isinstance(value, str):
            return value.casefold()
        return value

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    # ---- failure injection ------------------------------------------------

    def fail_commit_when(self, predicate):
        """Make every commit that contains an object for which
        `predicate(obj)` is true raise InjectedCommitError and save nothing.
        The predicate sees the object as added (a new one has id None).
        Returns the predicate (for `stop_failing`)."""
        self._commit_failures.append(predicate)
        return predicate

    def stop_failing(self, predicate=None):
        """Remove one injected failure, or all of them."""
        if predicate is None:
            self._commit_failures.clear()
        else:
            self._commit_failures.remove(predicate)

    # ---- inspection -------------------------------------------------------

    def snapshot(self, include_ids=False, limetypes=None) -> dict:
        """The stored data, deterministic and comparable with `==`:
        {limetype: sorted list of {property: stored value}}.

        With include_ids=False (the default) there is no "id" key and a
        belongsto value is replaced by the related row's non-relation values
        as a sorted tuple of (name, value) pairs (None stays None), so two
        runs that created the same data in another order compare equal.
        With include_ids=True rows have "id" and relations stay ids.
        hasmany properties are not listed (they are the other side's
        belongsto).  Two related rows with equal plain values give equal
        natural keys: make such rows differ when that matters."""
        out = {}
        for name in sorted(limetypes or self.schema):
            props = self.schema[name]
            rows = []
            for row in self._store.tables[name].rows.values():
                item = {}
                for pname, prop in props.items():
                    if not prop.stored:
                        continue
                    value = row[pname]
                    if prop.type == "belongsto" and not include_ids and value is not None:
                        value = self._natural_key(prop.related, value)
                    item[pname] = value
                if include_ids:
                    item["id"] = row["id"]
                rows.append(item)
            rows.sort(key=lambda d: [(k, repr(v)) for k, v in sorted(d.items())])
            out[name] = rows
        return out

    def _natural_key(self, limetype, id):
        row = self._store.tables[limetype].rows.get(id)
        if row is None:
            return ("<missing>", id)
        props = self.schema[limetype]
        return tuple(sorted((k, v) for k, v in row.items()
                            if k != "id" and props[k].type != "belongsto"))

    def __repr__(self):
        return f"<FakeLimeApplication {self.identifier} {list(self.schema)}>"
