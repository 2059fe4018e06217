"""Limetypes, LimeObjects and property accessors (fake `lime_type`).

Mimics lime-api.md §2.1-2.3, §2.6 and §3.2:
- `app.limetypes.<name>` / `app.limetypes.get_limetype(name)` -> FakeLimeType
  with `.name`, `.get_property(name)`, `.get(id)`, `.get_all(filter=, limit=,
  offset=)`, and calling it with keyword values creates a new unsaved object;
- `obj.properties.<name>` accessors with `.value` (read/write),
  `.original_value`, `.is_dirty()`; option `.value.key`, `.set_by_key()`,
  `.options`; belongsto `.fetch()` / `.attach(obj)`; hasmany `.fetch()` /
  `.attach(obj)`; file `.fetch()`;
- `obj.id` (None until committed: ids are assigned on commit), `obj.is_new`,
  `obj.limetype`, `obj.application`, `obj.values()`, `obj.get_property()`,
  `obj.get_properties_with_value()`.

Every load builds new LimeObject instances from the stored row (like
loading from a database): two reads of the same id give two distinct objects.
Values are copied shallowly: a mutable value (a list) mutated in place would
also change the store; plain Lime values (str, numbers, dates) are immutable.
"""

from __future__ import annotations

from itertools import islice

from .errors import NotFoundError
from .filters import FilterContext, compile_filter
from .schema import OptionValue


class PropertyAccessor:
    """A plain property of one object (`obj.properties.<name>`)."""

    def __init__(self, obj, prop):
        self._obj = obj
        self.prop = prop
        self.name = prop.name
        self.type = prop.type

    @property
    def value(self):
        return self._obj._values[self.name]

    @value.setter
    def value(self, value):
        self._obj._values[self.name] = value

    @property
    def original_value(self):
        """The value as loaded (None for a new object)."""
        return self._obj._original.get(self.name)

    def is_dirty(self) -> bool:
        """Changed since load; for a new object: has a value (the original is None)."""
        return self._obj._values[self.name] != self._obj._original.get(self.name)

    def __repr__(self):
        return f"<{type(self).__name__} {self.prop.limetype}.{self.name}={self.value!r}>"


class OptionPropertyAccessor(PropertyAccessor):
    """Option property: `.value` is an OptionValue (`.key`, `.id`, `.text`);
    assigning accepts an option key or an OptionValue."""

    @property
    def value(self):
        return self.prop.option(self._obj._values[self.name])

    @value.setter
    def value(self, value):
        key = value.key if isinstance(value, OptionValue) else value
        self.prop.option(key)  # validates
        self._obj._values[self.name] = key

    @property
    def original_value(self):
        key = self._obj._original.get(self.name)
        return None if key is None else self.prop.option(key)

    @property
    def options(self):
        return list(self.prop.options)

    def set_by_key(self, key):
        self.value = key


class BelongsToPropertyAccessor(PropertyAccessor):
    """The "one" side of a relation.  `.value` is the related id (None when
    unset, or when attached to a still-new object)."""

    @property
    def value(self):
        target = self._obj._pending.get(self.name)
        if target is not None:
            return target.id
        return self._obj._values[self.name]

    @value.setter
    def value(self, value):
        self._obj._pending.pop(self.name, None)
        if isinstance(value, LimeObject):
            self.attach(value)
        else:
            self._obj._values[self.name] = value

    def is_dirty(self) -> bool:
        return self.name in self._obj._pending or super().is_dirty()

    def attach(self, other):
        """Relate to `other`; saved when this object is committed.  `other`
        may be new: it must then be committed first or in the same unit of work."""
        if not isinstance(other, LimeObject) or other.limetype.name != self.prop.related:
            raise TypeError(f"{self.prop.limetype}.{self.name} attaches a {self.prop.related}")
        if other.id is None:
            self._obj._pending[self.name] = other
        else:
            self._obj._pending.pop(self.name, None)
            self._obj._values[self.name] = other.id

    def fetch(self):
        """The related object or None.  One "fetch" read per call when there
        is a related id (assumption: no read when the value is None, and an
        attached new object is returned as is)."""
        target = self._obj._pending.get(self.name)
        if target is not None and target.id is None:
            return target
        related_id = self.value
        if related_id is None:
            return None
        related = self._obj.application.limetypes.get_limetype(self.prop.related)
        self._obj.application.recorder.record("fetch", self.prop.related, relation=self.name,
                                              id=related_id)
        row = related._table.rows.get(related_id)
        return None if row is None else related._load(row)

    def get_related_limetype(self):
        return self._obj.application.limetypes.get_limetype(self.prop.related)


class HasManyPropertyAccessor(PropertyAccessor):
    """The "many" side of a relation (nothing stored on this object)."""

    @property
    def value(self):
        return None

    @value.setter
    def value(self, value):
        raise AttributeError("a hasmany property has no settable value; use attach()")

    @property
    def original_value(self):
        return None

    def is_dirty(self) -> bool:
        return False

    def fetch(self) -> list:
        """All related objects (a list, in id order).  One "fetch" read;
        a new object has no related objects in the store and costs no read."""
        if self._obj.id is None:
            return []
        related = self._obj.application.limetypes.get_limetype(self.prop.related)
        self._obj.application.recorder.record("fetch", self.prop.related, relation=self.name,
                                              id=self._obj.id)
        ids = related._table.index(self.prop.via).get(self._obj.id, ())
        rows = related._table.rows
        return [related._load(rows[i]) for i in sorted(ids)]

    def attach(self, other):
        """Same as `other.properties.<via>.attach(self)`: saved when `other`
        is committed (assumption; lime-api.md says both ends get added)."""
        other.get_property(self.prop.via).attach(self._obj)

    def get_related_limetype(self):
        return self._obj.application.limetypes.get_limetype(self.prop.related)


class FilePropertyAccessor(PropertyAccessor):
    """A file property: `.value` is a file id, `.fetch()` = `app.files.fetch(id)`."""

    def fetch(self):
        if self.value is None:
            return None
        return self._obj.application.files.fetch(self.value)


ACCESSORS = {"option": OptionPropertyAccessor, "belongsto": BelongsToPropertyAccessor,
             "hasmany": HasManyPropertyAccessor, "file": FilePropertyAccessor}

_NEW = {}  # marker for "no original values" (a new object)


class Properties:
    """`obj.properties`: attribute access to accessors; iterable."""

    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._obj.get_property(name)
        except KeyError:
            raise AttributeError(f"{self._obj.limetype.name} has no property {name!r}") from None

    def __iter__(self):
        return (self._obj.get_property(n) for n in self._obj.limetype.properties)


class LimeObject:
    """One Lime object.  Built by a limetype call (new) or by a load."""

    def __init__(self, limetype, row=None, **values):
        self.limetype = limetype
        self.application = limetype.application
        self._pending = {}  # belongsto name -> attached object that has no id yet
        if row is not None:  # loaded from the store
            self._id = row["id"]
            self._original = row  # the stored row; never mutated by the store
            self._values = {k: v for k, v in row.items() if k != "id"}
            return
        self._id = None
        self._original = _NEW
        self._values = {name: p.default for name, p in limetype.properties.items() if p.stored}
        for name, value in values.items():
            prop = limetype.properties.get(name)
            if prop is None or not prop.stored:
                raise TypeError(f"{limetype.name}() got an unexpected property {name!r}")
            self.get_property(name).value = value

    @property
    def id(self):
        return self._id

    @property
    def is_new(self) -> bool:
        return self._id is None

    @property
    def properties(self):
        return Properties(self)

    def get_property(self, name):
        """A new accessor on each call: accessors keep their state in the
        object, and not caching them avoids an object<->accessor reference
        cycle, so a dropped object is freed at once, without the gc."""
        prop = self.limetype.properties[name]  # KeyError for an unknown name
        return ACCESSORS.get(prop.type, PropertyAccessor)(self, prop)

    def values(self) -> dict:
        """{property: value} for stored properties; options as their key,
        relations as the related id (assumption: the real shape is unknown)."""
        out = dict(self._values)
        for name, target in self._pending.items():
            out[name] = target.id
        return out

    def get_properties_with_value(self):
        return [p for p in self.properties if p.type != "hasmany" and p.value is not None]

    def __repr__(self):
        return f"<LimeObject {self.limetype.name} id={self._id}>"


class GetAllResult:
    """What `get_all()` returns: lazy, iterable, with a `.count` attribute.

    - Each `iter()` executes the query: one "get_all" read, at the moment
      iteration starts.  The result set is fixed then (like a DB cursor):
      objects committed while iterating are not seen.  Objects are built one
      at a time as the iteration advances; the result set itself costs only
      one pointer per matching row.  Iterating twice reads twice.
    - Assumption (unknown in lime-api.md): one round trip, not one per page.
    - Order: ascending id (real order without ORDER BY is unspecified).
    - `.count` = number of objects matching the filter, IGNORING limit and
      offset (assumption: a total count for paging).  Computed on first
      access as one "count" read, then cached on this result object.
    """

    def __init__(self, limetype, filter, limit, offset):
        self._limetype = limetype
        self._filter = filter
        self._limit = limit
        self._offset = offset
        self._count = None

    def _matching_rows(self):
        lt = self._limetype
        ctx = FilterContext(lt.name, lt.properties, lt.application.case_insensitive, lt._table)
        pred, candidates = compile_filter(self._filter, ctx)
        rows = lt._table.rows
        if candidates is not None:
            source = (rows[i] for i in sorted(candidates))
        else:
            source = iter(rows.values())
        return source if pred is None else (r for r in source if pred(r))

    def __iter__(self):
        lt = self._limetype
        if lt.application.page_size:
            return self._pages(lt.application.page_size)
        lt.application.recorder.record("get_all", lt.name, filter=self._filter,
                                       limit=self._limit, offset=self._offset)
        start = self._offset or 0
        stop = None if self._limit is None else start + self._limit
        result_set = list(islice(self._matching_rows(), start, stop))
        return _load_each(lt, result_set)

    def _pages(self, size):
        """The paging mode (see FakeLimeApplication.page_size)."""
        lt = self._limetype
        start = self._offset or 0
        left = self._limit
        while left is None or left > 0:
            take = size if left is None else min(size, left)
            lt.application.recorder.record("get_all", lt.name, filter=self._filter, limit=take, offset=start)
            page = list(islice(self._matching_rows(), start, start + take))
            for row in page:
                yield lt._load(row)
            if len(page) < take:
                return
            start += take
            if left is not None:
                left -= take

    @property
    def count(self) -> int:
        if self._count is None:
            lt = self._limetype
            lt.application.recorder.record("count", lt.name, filter=self._filter)
            self._count = sum(1 for _ in self._matching_rows())
        return self._count

    def __repr__(self):
        return f"<GetAllResult {self._limetype.name} filter={self._filter!r}>"


def _load_each(limetype, result_set):
    # Drop each row reference as it is handed out, so the result set does not
    # keep rows alive that a later commit replaced.
    for i in range(len(result_set)):
        row = result_set[i]
        result_set[i] = None
        yield limetype._load(row)


class FakeLimeType:
    """A limetype.  `app.limetypes.company(name="Acme")` creates a new object."""

    def __init__(self, application, name, properties, table):
        self.application = application
        self.name = name
        self.properties = properties  # {name: LimeProperty}
        self._table = table

    def __call__(self, **values) -> LimeObject:
        return LimeObject(self, **values)

    def get_property(self, name):
        return self.properties[name]

    def _load(self, row) -> LimeObject:
        return LimeObject(self, row)

    def get(self, id) -> LimeObject:
        """One "get" read.  A missing id raises lime_errors.NotFoundError
        (lime-api.md §2.2 says real versions differ; this fake picks raising)."""
        self.application.recorder.record("get", self.name, id=id)
        row = self._table.rows.get(id)
        if row is None:
            raise NotFoundError(f"{self.name} with id {id!r} not found")
        return self._load(row)

    def get_all(self, filter=None, limit=None, offset=None) -> GetAllResult:
        return GetAllResult(self, filter, limit, offset)

    def __repr__(self):
        return f"<FakeLimeType {self.name}>"


class LimeTypes:
    """`app.limetypes`: attribute access by name, `get_limetype(name)`, iteration."""

    def __init__(self, application, limetypes: dict):
        self.application = application
        self._limetypes = limetypes

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._limetypes[name]
        except KeyError:
            raise AttributeError(f"no limetype {name!r}") from None

    def get_limetype(self, name) -> FakeLimeType:
        try:
            return self._limetypes[name]
        except KeyError:
            raise NotFoundError(f"no limetype {name!r}") from None

    def __iter__(self):
        return iter(self._limetypes.values())
