"""Unit of work (fake `lime_type.unit_of_work`).

Mimics lime-api.md §3.1: `uow = app.unit_of_work()` or
`create_unit_of_work(app)`; `idx = uow.add(obj)`; `res = uow.commit()`;
`res.get(idx)` is the saved object, with its id.

Behaviour of the fake (assumptions where lime-api.md is silent):
- A commit is one "commit" round trip, atomic: it saves every added object
  or, if anything fails, nothing.  An empty commit is still a round trip
  (a database BEGIN/COMMIT costs a round trip even when empty); a failed
  commit is recorded too, with detail ok=False.
- New objects get ids from one counter shared by all limetypes, so an id of
  the wrong limetype is never found by mistake.
- An existing object writes only its changed (dirty) properties, like an
  UPDATE of the changed columns; an unchanged one writes nothing.
- A belongsto attached to a new object needs that object committed earlier
  or in the same unit of work, else CommitError and nothing is saved.
- After a successful commit the added objects are updated in place (id set,
  `is_new` False, no longer dirty) and `res.get(idx)` returns that same
  instance; the unit of work is emptied, so it can take the next batch and
  keeps no reference to saved objects.  After a failed commit it keeps its
  objects (a retry commits them again) and the objects are untouched.
"""

from __future__ import annotations

from collections import Counter

from .errors import CommitError, InjectedCommitError
from .objects import LimeObject


class UnitOfWorkResult:
    """What `uow.commit()` returns."""

    def __init__(self, objects):
        self._objects = objects

    def get(self, idx) -> LimeObject:
        """The saved object for the index `uow.add()` returned."""
        return self._objects[idx]


class UnitOfWork:
    def __init__(self, application):
        self.application = application
        self._objects: list[LimeObject] = []
        self._positions: dict[int, int] = {}  # id(obj) -> idx

    def add(self, limeobject) -> int:
        """Add an object to save; returns its index (the same index again
        when the object was already added)."""
        if not isinstance(limeobject, LimeObject):
            raise TypeError(f"unit_of_work.add() takes a LimeObject, not {limeobject!r}")
        if limeobject.application is not self.application:
            raise CommitError("object belongs to another application")
        key = id(limeobject)
        if key not in self._positions:
            self._positions[key] = len(self._objects)
            self._objects.append(limeobject)
        return self._positions[key]

    def commit(self) -> UnitOfWorkResult:
        app = self.application
        objects = list(self._objects)
        self._validate(objects)
        kinds = dict(Counter(o.limetype.name for o in objects))
        failing = [o for o in objects for pred in app._commit_failures if pred(o)]
        if failing:
            app.recorder.record("commit", None, objects=len(objects), written=0,
                                limetypes=kinds, ok=False)
            raise InjectedCommitError(f"injected commit failure for {failing[0]!r}")

        new_ids = {id(o): app._store.new_id() for o in objects if o.id is None}
        writes = []
        for obj in objects:
            values = dict(obj._values)
            for name, target in obj._pending.items():
                values[name] = target.id if target.id is not None else new_ids[id(target)]
            table = app._store.tables[obj.limetype.name]
            if obj.id is None:
                row = {"id": new_ids[id(obj)], **values}
            else:
                changed = {k: v for k, v in values.items() if v != obj._original.get(k)}
                if not changed:
                    continue
                row = {**table.rows[obj.id], **changed}
            writes.append((table, row, obj))

        for table, row, obj in writes:  # nothing below can fail: atomic
            table.put(row)
            obj._id = row["id"]
            obj._original = row
            obj._values = {k: v for k, v in row.items() if k != "id"}
            obj._pending.clear()
        app.recorder.record("commit", None, objects=len(objects), written=len(writes),
                            limetypes=kinds, ok=True)
        self._objects, self._positions = [], {}
        return UnitOfWorkResult(objects)

    def _validate(self, objects):
        """Client-side checks, before anything is sent (no round trip)."""
        added = {id(o) for o in objects}
        for obj in objects:
            for name, target in obj._pending.items():
                if target.id is None and id(target) not in added:
                    raise CommitError(f"{obj!r}.{name} is attached to a new object that is "
                                      "neither saved nor in this unit of work")
            if obj.id is not None and obj.id not in self.application._store.tables[
                    obj.limetype.name].rows:
                raise CommitError(f"{obj!r} is not in the store")


def create_unit_of_work(application) -> UnitOfWork:
    """Mimics `lime_type.unit_of_work.create_unit_of_work(app)`."""
    return UnitOfWork(application)
