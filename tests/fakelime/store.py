"""Storage and round-trip recording for the fake Lime application.

The store plays the database.  Rows are plain dicts (property name -> stored
value, plus "id") and are never mutated once stored: a write replaces the
whole dict.  So a query can keep a consistent result set by holding row
references (8 bytes each) and build `LimeObject`s only when iterated; the
store never references a loaded `LimeObject`, so task code that drops its
objects really frees them.

Stored values: plain fields as given, option fields as the option key (str),
belongsto as the related id (int) or None, file fields as the file id.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple


class Table:
    """One limetype's rows: {id: row dict}, with lazily built hash indexes."""

    def __init__(self, name, props, norm):
        self.name = name
        self.props = props
        self.norm = norm
        self.rows: dict[int, dict] = {}
        self._indexes: dict[str, dict[Any, set]] = {}
        self._unindexable: set[str] = set()

    def put(self, row: dict) -> None:
        """Insert or replace a row (the caller gives a fresh dict)."""
        old = self.rows.get(row["id"])
        self.rows[row["id"]] = row
        for col, index in list(self._indexes.items()):
            if old is not None:
                ids = index.get(self.norm(old[col]))
                if ids is not None:
                    ids.discard(row["id"])
            try:
                index.setdefault(self.norm(row[col]), set()).add(row["id"])
            except TypeError:  # an unhashable value: stop indexing this column
                del self._indexes[col]
                self._unindexable.add(col)

    def index(self, col):
        """{normalized value: set of ids} for a column, built on first use."""
        if col in self._indexes:
            return self._indexes[col]
        if col in self._unindexable:
            return None
        index: dict[Any, set] = {}
        try:
            for row in self.rows.values():
                index.setdefault(self.norm(row[col]), set()).add(row["id"])
        except TypeError:
            self._unindexable.add(col)
            return None
        self._indexes[col] = index
        return index


class RoundTrip(NamedTuple):
    """One recorded round trip.  `kind` is one of Recorder.READ_KINDS or
    "commit"; `limetype` is a limetype name (None for files and for commits,
    whose limetypes are in `detail["limetypes"]`)."""

    kind: str
    limetype: str | None
    detail: dict


class Recorder:
    """Ordered log and counts of every round trip to the fake database.

    Reads: "get_all" (a get_all result being iterated), "count" (`.count` of
    a get_all result), "get", "fetch" (relation fetch), "files.fetch",
    "execute_query".  Writes: "commit" (one per `uow.commit()`, including
    empty and failed ones; `detail` has "objects", "written", "limetypes",
    "ok").  The log holds names, ids, counts, filter objects and query
    dicts, never a loaded LimeObject.

    Each log entry costs a few hundred bytes.  When measuring task memory
    with tracemalloc, set `keep_log = False`: counts are still kept (in
    fixed-size counters) but the log stops growing, so an N+1 task is not
    charged for the fake's own bookkeeping.
    """

    READ_KINDS = frozenset({"get_all", "count", "get", "fetch", "files.fetch", "execute_query"})

    def __init__(self, keep_log=True):
        self.keep_log = keep_log
        self.reset()

    def record(self, kind, limetype=None, **detail):
        self._counts[kind, limetype] += 1
        if kind == "commit":
            self.objects_written += detail["written"]
        if self.keep_log:
            self.log.append(RoundTrip(kind, limetype, detail))

    def reset(self):
        self.log: list[RoundTrip] = []
        self._counts: Counter = Counter()
        self.objects_written = 0

    def count(self, kind=None, limetype=None) -> int:
        return sum(n for (k, lt), n in self._counts.items()
                   if (kind is None or k == kind) and (limetype is None or lt == limetype))

    @property
    def reads(self) -> int:
        return sum(n for (k, _), n in self._counts.items() if k in self.READ_KINDS)

    @property
    def commits(self) -> int:
        return self.count("commit")

    @property
    def round_trips(self) -> int:
        return self.count()

    def by_kind(self) -> Counter:
        """Counter of (kind, limetype) pairs."""
        return Counter(self._counts)

    def __repr__(self):
        return f"<Recorder reads={self.reads} commits={self.commits} {dict(self._counts)}>"
