"""Memory estimator behind the "how much memory will this hold?" hover.

Lime tasks are killed (cloud) or degrade the server (on-premise) when they
grow past a couple of hundred MB, and the usual culprit is a container that
materialises a whole result set.  The linter cannot run the task, so it
estimates: *count* elements of a known shape in a known container.

Why a model and not ``sys.getsizeof``: ``getsizeof`` under-counts plain
objects on 3.11+ (their attribute values live outside the object) and knows
nothing about elements.  The reference for every figure here is
``tracemalloc`` (what CPython actually asks the allocator for), measured on
64-bit CPython 3.10.13, 3.11.7, 3.12.1 and 3.13.0.  ``bench/calibrate_memory.py``
re-measures them on the running interpreter and ``tests/test_memory_estimator.py``
holds the model to within 10 % of ``tracemalloc``.

Why simulate instead of scaling linearly: lists over-allocate in a
version-independent but non-linear pattern, and sets/dicts live in
power-of-two hash tables that jump at CPython's resize thresholds (a set of
629,145 ints and one of 1,258,290 ints have the *same* 33.5 MB table).  The
functions below replay CPython's own resize rules (``listobject.c``
``list_resize``, ``setobject.c`` ``set_add_entry``/``set_table_resize``,
``dictobject.c`` ``insertion_resize``/``estimate_log2_keysize``) for
3.10-3.13, so the cost is O(log n) and exact at the steps.

Lime objects cannot be measured here (the platform is not public).  Their
default size, about 1 KB each, comes from the Lime task guide's field figure
(a list of 100,000 Lime objects can take over 100 MB); callers pass a
per-limetype size from configuration through ``Element.size_hint``.

Sizes are bytes; :func:`format_bytes` renders decimal units (1 MB = 10**6 B),
the convention of the 200 MB task budget.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal, Optional, Tuple

__all__ = [
    "ElementKind",
    "ContainerKind",
    "BuiltBy",
    "Element",
    "Estimate",
    "LIME_OBJECT_DEFAULT_BYTES",
    "RECORD_VALUE_CHARS",
    "SUPPORTED_VERSIONS",
    "element_bytes",
    "container_bytes",
    "estimate",
    "format_bytes",
    "budget_share",
]

ElementKind = Literal[
    "lime_object",
    "int",
    "float",
    "str",
    "dict_row",
    "tuple",
    "object",
    "object_dict",
    "slots_object",
    "unknown",
]
ContainerKind = Literal["list", "set", "dict", "generator"]
BuiltBy = Literal["sized", "append"]
Version = Tuple[int, int]

SUPPORTED_VERSIONS: Tuple[Version, ...] = ((3, 10), (3, 11), (3, 12), (3, 13))

#: Per Lime object, from the guide: 100,000 objects in a list > 100 MB.
LIME_OBJECT_DEFAULT_BYTES = 1_000
#: Record values (``dict_row`` / ``tuple`` fields) are modelled as distinct
#: ASCII strings of this length: a name, a phone number, an external key.
RECORD_VALUE_CHARS = 10

# --- fixed object layouts (64-bit), all confirmed with tracemalloc ---------
_GC_HEAD = 16  # PyGC_Head in front of every container object
_PTR = 8
_LIST_OBJECT = _GC_HEAD + 40  # ob_refcnt, ob_type, ob_size, ob_item, allocated
_SET_OBJECT = _GC_HEAD + 200  # includes the 8-slot smalltable
_SET_MINSIZE = 8
_SET_ENTRY = 16  # key pointer + hash
_DICT_OBJECT = _GC_HEAD + 48
_DICT_MINSIZE = 8
_TUPLE_HEADER = _GC_HEAD + 24
_FLOAT = 24
_SHARED_KEYS_MAX_SIZE = 30  # 3.11+: more attributes than this => real dict


def _version(version: Optional[Version]) -> Version:
    """Normalise the target version; newer than 3.13 uses the 3.13 figures, older
    than 3.10 (code that must still run there) the 3.10 ones."""
    v = tuple(sys.version_info[:2]) if version is None else tuple(version[:2])
    if v < SUPPORTED_VERSIONS[0]:
        return SUPPORTED_VERSIONS[0]
    if v > SUPPORTED_VERSIONS[-1]:
        return SUPPORTED_VERSIONS[-1]
    return (int(v[0]), int(v[1]))


@dataclass(frozen=True)
class Element:
    """The shape of one element.

    ``size_hint`` depends on ``kind``: characters for ``str``, fields for
    ``dict_row`` and ``tuple``, attributes for ``object``/``object_dict``/
    ``slots_object``, bytes for ``lime_object`` (0 = the guide's default).

    ``lime_objects``: for a ``tuple`` or ``dict_row``, how many of its fields
    hold a Lime object (``(obj, name)``, ``{"obj": obj}``); each costs
    ``lime_object_bytes`` (0 = the guide's default) instead of a short string.
    """

    kind: ElementKind
    size_hint: int = 0
    lime_objects: int = 0
    lime_object_bytes: int = 0


# --- elements --------------------------------------------------------------

def _int_bytes(v: Version) -> int:
    # Ints outside the -5..256 cache and below 2**30 (ids, counters).  3.11+
    # allocates a whole PyLongObject (28 B padded to 32) on the fast path.
    return 28 if v == (3, 10) else 32


def _str_bytes(chars: int, v: Version) -> int:
    # Compact ASCII str: 3.12 dropped the wstr fields from the header.
    return (49 if v <= (3, 11) else 41) + max(chars, 0)


def _dict_slots_by_insertion(n: int, v: Version) -> int:
    """Hash-table size after ``n`` insertions into an empty dict.

    ``insertion_resize`` grows to hold ``GROWTH_RATE = used * 3`` once the
    usable entries (2/3 of the table) are exhausted.
    """
    if n <= 0:
        return 0  # the shared empty keys object, nothing allocated
    slots = _DICT_MINSIZE
    while _usable(slots) < n:
        slots = _dict_slots_for(_usable(slots) * 3, v)
    return slots


def _dict_slots_presized(n: int, v: Version) -> int:
    """Table size of a presized dict (``estimate_log2_keysize``)."""
    if n <= 0:
        return 0
    return _dict_slots_for((n * 3 + 1) >> 1, v)


def _dict_slots_for(minsize: int, v: Version) -> int:
    if v == (3, 10):
        # dictresize(): smallest power of two >= minsize.
        slots = _DICT_MINSIZE
        while slots < minsize:
            slots <<= 1
        return slots
    # 3.11-3.13 calculate_log2_keysize(), bit trick reproduced as written
    # (it overshoots by a factor of two when minsize is a power of two).
    return 1 << ((((minsize | _DICT_MINSIZE) - 1) | (_DICT_MINSIZE - 1)).bit_length())


def _usable(slots: int) -> int:
    return (slots << 1) // 3  # USABLE_FRACTION


def _dict_keys_bytes(slots: int, v: Version, str_keys: bool) -> int:
    """Bytes of the keys object: header + index array + entry array."""
    if slots == 0:
        return 0
    index = 1 if slots <= 0xFF else 2 if slots <= 0xFFFF else 4 if slots <= 0xFFFFFFFF else 8
    if v == (3, 10):
        return 40 + slots * index + _usable(slots) * 24
    # 3.11+: 32-byte header; all-str keys use 16-byte entries (no hash).
    entry = 16 if str_keys else 24
    return 32 + slots * index + _usable(slots) * entry


def _dict_total(n: int, v: Version, *, str_keys: bool, presized: bool) -> int:
    slots = _dict_slots_presized(n, v) if presized else _dict_slots_by_insertion(n, v)
    return _DICT_OBJECT + _dict_keys_bytes(slots, v, str_keys)


def _plain_object_bytes(attrs: int, v: Version, *, materialised: bool) -> int:
    attrs = max(attrs, 0)
    if v == (3, 10):
        # Object (GC head, header, __dict__ and __weakref__ slots) plus a
        # split-table dict whose value array is sized by the class's shared
        # keys; the dict always exists once an attribute is set.
        obj = _GC_HEAD + 16 + 2 * _PTR
        if attrs == 0:
            return obj
        return obj + _DICT_OBJECT + _PTR * _usable(_dict_slots_by_insertion(attrs, v))
    if attrs > _SHARED_KEYS_MAX_SIZE:
        # Too many attributes for the shared keys: a regular dict.
        return _plain_object_bytes(0, v, materialised=False) + _dict_total(
            attrs, v, str_keys=True, presized=False
        )
    # 3.11+: values array of (attributes + 1 spare) pointers behind a
    # prefix; 3.12 moved __weakref__ into the pre-header (8 B less).  3.13
    # stores the values inline, at the same total.
    obj = 56 if v != (3, 12) else 48
    size = attrs + 1
    values = -(-(size + 2) // _PTR) * _PTR + size * _PTR
    return obj + values + (_DICT_OBJECT if materialised else 0)


def element_bytes(element: Element, version: Optional[Version] = None) -> int:
    """Bytes one element costs on its own (what ``tracemalloc`` sees)."""
    v = _version(version)
    kind, hint = element.kind, max(element.size_hint, 0)
    if kind == "lime_object":
        return hint or LIME_OBJECT_DEFAULT_BYTES
    if kind == "int":
        return _int_bytes(v)
    if kind == "float":
        return _FLOAT
    if kind == "str":
        return _str_bytes(hint, v)
    if kind in ("dict_row", "tuple"):
        # A record: short string values, except the fields that hold a Lime object.
        objects = min(max(element.lime_objects, 0), hint)
        values = (hint - objects) * _str_bytes(RECORD_VALUE_CHARS, v) + objects * (
            element.lime_object_bytes or LIME_OBJECT_DEFAULT_BYTES
        )
        if kind == "tuple":
            return _TUPLE_HEADER + hint * _PTR + values
        # A record from a query or JSON: str keys shared by every row (the
        # column names), so the row costs its dict and its values.
        return _dict_total(hint, v, str_keys=True, presized=False) + values
    if kind == "object":
        return _plain_object_bytes(hint, v, materialised=False)
    if kind == "object_dict":
        return _plain_object_bytes(hint, v, materialised=True)
    if kind == "slots_object":
        return _GC_HEAD + 16 + hint * _PTR
    if kind == "unknown":
        return 0  # not modelled: the estimate is then the container only
    raise ValueError(f"unknown element kind {kind!r}")


# --- containers ------------------------------------------------------------

def _list_allocated(n: int, built_by: BuiltBy) -> int:
    if n <= 0:
        return 0
    if built_by == "sized":
        return n  # list(sized) / [a, b, c] / [x] * n allocate exactly
    # Replay list_resize() for n appends (3.9-3.13, unchanged).
    allocated = 0
    while allocated < n:
        newsize = allocated + 1  # the append that overflows
        new_allocated = (newsize + (newsize >> 3) + 6) & ~3
        if newsize - allocated > new_allocated - newsize:
            new_allocated = (newsize + 3) & ~3
        allocated = new_allocated
    return allocated


def _set_slots(n: int, built_by: BuiltBy) -> int:
    """Hash-table size of a set holding ``n`` distinct items."""
    if built_by == "sized":
        # set(other_set) / set(dict): set_merge presizes to (used*2) once
        # (fill + other.used)*5 >= mask*3 on the 8-slot smalltable.
        if n * 5 >= (_SET_MINSIZE - 1) * 3:
            return _pow2_above(2 * n)
        return _SET_MINSIZE
    slots = _SET_MINSIZE
    while True:
        mask = slots - 1
        trigger = (mask * 3 + 4) // 5  # first fill with fill*5 >= mask*3
        if n < trigger:
            return slots
        used = trigger
        slots = _pow2_above(used * 2 if used > 50_000 else used * 4)


def _pow2_above(minused: int) -> int:
    # set_table_resize(): smallest power of two strictly above minused.
    size = _SET_MINSIZE
    while size <= minused:
        size <<= 1
    return size


# Generator expression over an existing iterable, started, including its
# iterator and suspended frame (tracemalloc; 3.10 still builds a frame object).
_GENERATOR_BYTES = {(3, 10): 560, (3, 11): 400, (3, 12): 400, (3, 13): 400}


def container_bytes(
    container: ContainerKind,
    count: int,
    *,
    built_by: BuiltBy = "append",
    version: Optional[Version] = None,
    str_keys: bool = False,
) -> int:
    """Bytes of the container itself, elements excluded.

    ``built_by`` is ``"append"`` for growth one item at a time (``append``,
    comprehensions, ``set.add``/``set(list)``, ``d[k] = v``, dict
    comprehensions, ``dict(pairs)``) and ``"sized"`` when CPython knows the
    final size up front (``list(sized)``, literals, ``[x] * n``;
    ``set(other_set)``; ``dict.fromkeys(set)`` and other presized dicts).
    ``str_keys`` selects the compact 16-byte dict entries of 3.11+.
    """
    v = _version(version)
    n = max(count, 0)
    if container == "list":
        return _LIST_OBJECT + _PTR * _list_allocated(n, built_by)
    if container == "set":
        slots = _set_slots(n, built_by)
        return _SET_OBJECT + (slots * _SET_ENTRY if slots > _SET_MINSIZE else 0)
    if container == "dict":
        return _dict_total(n, v, str_keys=str_keys, presized=built_by == "sized")
    if container == "generator":
        return _GENERATOR_BYTES[v]
    raise ValueError(f"unknown container {container!r}")


# --- estimate --------------------------------------------------------------

_SCALARS = ("int", "float", "str", "tuple")


@dataclass(frozen=True)
class Estimate:
    """Cost of ``count`` elements in ``container``; bytes throughout.

    ``lazy_bytes`` is what iterating lazily (generator, ``map``, batches of
    one) would hold instead: the generator plus one element.  For dicts,
    ``element`` describes the values and ``key`` the keys.
    """

    container: str
    element: Element
    count: int
    container_bytes: int
    element_bytes: int
    total_bytes: int
    lazy_bytes: int
    key: Optional[Element] = None
    key_bytes: int = 0
    notes: Tuple[str, ...] = ()


def _default_key(element: Element) -> Element:
    # "A dict of X": scalars are keyed by their own kind, records and
    # objects by an int id ({obj.id: obj}), the common Lime pattern.
    return element if element.kind in _SCALARS else Element("int")


def _source(element: Element, v: Version) -> str:
    if element.kind == "lime_object":
        if element.size_hint:
            return f"Lime object: {element.size_hint} B each, configured for this limetype"
        return (
            f"Lime object: {LIME_OBJECT_DEFAULT_BYTES} B each, default from the Lime guide "
            "(100,000 objects in a list > 100 MB)"
        )
    if element.kind == "unknown":
        return "element not modelled: container only"
    if element.lime_objects:
        each = element.lime_object_bytes or LIME_OBJECT_DEFAULT_BYTES
        return (f"{element.kind} holding {element.lime_objects} Lime object(s) of {each} B each: "
                f"CPython {v[0]}.{v[1]} layout, calibrated with tracemalloc")
    return f"{element.kind}: CPython {v[0]}.{v[1]} layout, calibrated with tracemalloc"


def estimate(
    container: ContainerKind,
    element: Element,
    count: int,
    *,
    built_by: BuiltBy = "append",
    shared_elements: bool = False,
    key: Optional[Element] = None,
    version: Optional[Version] = None,
) -> Estimate:
    """Estimate ``count`` elements held in ``container``.

    ``shared_elements`` means the elements are not allocated per element:
    small ints -5..256, interned strings, or objects that already live
    elsewhere (a list of references).  Only the container is then counted.
    For ``dict``, ``count`` is the number of entries and ``key`` the key
    shape (default: see :func:`_default_key`); keys follow
    ``shared_elements`` too.
    """
    v = _version(version)
    n = max(count, 0)
    one = element_bytes(element, v)
    per_element = 0 if shared_elements else one
    notes = [_source(element, v)]
    key_el: Optional[Element] = None
    key_total = 0
    if container == "dict":
        key_el = key or _default_key(element)
        key_total = 0 if shared_elements else n * element_bytes(key_el, v)
        if key_el.kind != element.kind:
            notes.append("keys: " + _source(key_el, v))
        cont = container_bytes(
            "dict", n, built_by=built_by, version=v, str_keys=key_el.kind == "str"
        )
    else:
        cont = container_bytes(container, n, built_by=built_by, version=v)
    if shared_elements:
        notes.append("elements shared (cached/interned/held elsewhere): not counted")
    if container == "generator":
        # A generator holds one element at a time, whatever the count.
        elements = per_element if n else 0
    else:
        elements = n * per_element
    lazy = _GENERATOR_BYTES[v] + per_element
    return Estimate(
        container=container,
        element=element,
        count=n,
        container_bytes=cont,
        element_bytes=elements,
        total_bytes=cont + elements + key_total,
        lazy_bytes=lazy,
        key=key_el,
        key_bytes=key_total,
        notes=tuple(notes),
    )


# --- presentation ----------------------------------------------------------

def format_bytes(n: int) -> str:
    """Decimal units, like the task budget: ``"103.4 MB"``, ``"812 kB"``, ``"96 B"``."""
    n = int(n)
    sign = "-" if n < 0 else ""
    a = abs(n)
    if a < 1_000:
        return f"{sign}{a} B"
    if a < 999_500:
        return f"{sign}{a / 1_000:.0f} kB"
    if a < 999_950_000:
        return f"{sign}{a / 1_000_000:.1f} MB"
    return f"{sign}{a / 1_000_000_000:.1f} GB"


def budget_share(total_bytes: int, budget_mb: float) -> float:
    """Fraction of a decimal-MB budget (1.0 = the whole budget)."""
    if budget_mb <= 0:
        raise ValueError("budget_mb must be positive")
    return total_bytes / (budget_mb * 1_000_000)
