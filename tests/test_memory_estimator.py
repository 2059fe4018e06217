"""The memory estimator against the interpreter it runs on.

tracemalloc is the reference (see docs/memory-model.md): every modelled
shape is built for real, the realistic way (ints above the small-int cache,
distinct strings, one dict per row, one instance per object), measured, freed,
and the estimate must be within 10 %.  The 1,000,000-element cases are marked
``slow`` (``-m "not slow"`` skips them); with them the file still runs in
well under a minute.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from typing import Callable

import pytest

from lime_task_lint.memory import (
    LIME_OBJECT_DEFAULT_BYTES,
    Element,
    budget_share,
    container_bytes,
    element_bytes,
    estimate,
    format_bytes,
)

BASE = 1_000_000  # outside the -5..256 cache, below 2**30 like Lime ids
TOLERANCE = 0.10
COLUMNS = tuple("field%d" % j for j in range(10))  # shared by every row, like column names


class Plain:
    def __init__(self) -> None:
        self.a = self.b = self.c = self.d = self.e = None


class Slotted:
    __slots__ = ("a", "b", "c", "d", "e")

    def __init__(self) -> None:
        self.a = self.b = self.c = self.d = self.e = None


def measure(build: Callable[[], object]) -> int:
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = build()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    del result
    return after - before


def make_ints(n):
    return [BASE + i for i in range(n)]


def make_strs(n):
    return ["%010d" % i for i in range(n)]


def make_rows(n):
    # One dict per row, column names shared, distinct 10-char values.
    return [{"id": "%010d" % i, "name": "n%09d" % i, "email": "e%09d" % i, "phone": "p%09d" % i}
            for i in range(n)]


def make_objects(n):
    return [Plain() for _ in range(n)]


INT, STR10, ROW4, OBJ5 = Element("int"), Element("str", 10), Element("dict_row", 4), Element("object", 5)

# element, builder of n distinct elements in a list (by append), new dict key
ELEMENTS = {
    "int": (INT, make_ints, lambda i, n: BASE + n + i),
    "str": (STR10, make_strs, lambda i, n: "k%09d" % i),
    "dict_row": (ROW4, make_rows, lambda i, n: BASE + i),
    "object": (OBJ5, make_objects, lambda i, n: BASE + i),
}

PARAMS = [
    pytest.param(kind, n, id=f"{kind}-{n}", marks=[pytest.mark.slow] if n == 1_000_000 else [])
    for n in (1_000, 100_000, 1_000_000)
    for kind in ELEMENTS
]


def within(est: int, measured: int) -> bool:
    return abs(est - measured) <= TOLERANCE * measured


@pytest.mark.parametrize("kind,n", PARAMS)
def test_list_dict_set_within_10_percent_of_tracemalloc(kind, n):
    """List, then dict, then set of the same n elements, each measured for real.

    The elements are created once (creating millions of objects under
    tracemalloc is the slow part): the list is measured, a dict is built from
    it and the list dropped, then a set is built from the dict's values and
    the dict dropped.  Every figure is the whole structure, elements included,
    as tracemalloc sees it relative to the empty start.
    """
    element, make, new_key = ELEMENTS[kind]
    failures = []
    last = None
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        items = make(n)
        measured = {"list": tracemalloc.get_traced_memory()[0] - start}
        table = {new_key(i, n): v for i, v in enumerate(items)}
        del items
        measured["dict"] = tracemalloc.get_traced_memory()[0] - start
        if kind != "dict_row":  # rows are unhashable
            last = set(table.values())
            del table
            measured["set"] = tracemalloc.get_traced_memory()[0] - start
        else:
            last = table
            del table
    finally:
        tracemalloc.stop()  # before freeing: untracing millions of blocks is slow
        del last
        gc.enable()
    for container, got in measured.items():
        est = estimate(container, element, n).total_bytes
        if not within(est, got):
            failures.append(f"{container}: model {format_bytes(est)} vs measured {format_bytes(got)}")
    assert not failures, f"{n} x {element}: " + "; ".join(failures)


@pytest.mark.parametrize("n", [1_000, pytest.param(1_000_000, marks=pytest.mark.slow)])
def test_list_built_from_a_sized_iterable(n):
    def build():
        tmp = make_ints(n)
        out = list(tmp)  # exact allocation; the over-allocated tmp is freed
        del tmp
        return out

    assert within(estimate("list", INT, n, built_by="sized").total_bytes, measure(build))


@pytest.mark.parametrize(
    "element,make",
    [
        (Element("float"), lambda n: [BASE + i + 0.5 for i in range(n)]),
        (Element("str", 40), lambda n: ["%040d" % i for i in range(n)]),
        (Element("tuple", 2), lambda n: [("%010d" % i, "x%09d" % i) for i in range(n)]),
        (Element("object_dict", 5), lambda n: [o.__dict__ and o or o for o in make_objects(n)]),
        (Element("slots_object", 5), lambda n: [Slotted() for _ in range(n)]),
        (Element("dict_row", 10), lambda n: [dict(zip(COLUMNS, ("%010d" % (i * 10 + j) for j in range(10)))) for i in range(n)]),
    ],
    ids=lambda p: p.kind if isinstance(p, Element) else "",
)
def test_other_elements_within_10_percent(element, make):
    n = 20_000
    measured = measure(lambda: make(n))
    assert within(estimate("list", element, n).total_bytes, measured)


# --- stepping: hash tables do not scale linearly ---------------------------

SET_STEPS = [5, 19, 77, 307, 1229, 4915, 19661, 78643, 157286, 314573, 629145, 1258291]


def test_set_size_is_flat_between_thresholds_and_jumps_at_them():
    for low, high in zip(SET_STEPS, SET_STEPS[1:]):
        flat = {container_bytes("set", n) for n in (low, (low + high) // 2, high - 1)}
        assert len(flat) == 1, (low, high)
        assert container_bytes("set", high) > container_bytes("set", high - 1)
    # The published figures: 216 B up to 4 items, 33.5 MB table for
    # 629,145..1,258,290 items, 67.1 MB from 1,258,291.
    assert container_bytes("set", 4) == 216
    assert container_bytes("set", 76) == 216 + 128 * 16
    assert container_bytes("set", 1_258_290) == 216 + 2**21 * 16
    assert container_bytes("set", 1_258_291) == 216 + 2**22 * 16


DICT_STEPS = [6, 11, 22, 43, 86, 171, 342, 683, 1366, 2731, 5462, 10923, 21846, 43691,
              87382, 174763, 349526, 699051, 1398102]


def test_dict_size_is_flat_between_thresholds_and_jumps_at_them():
    for low, high in zip(DICT_STEPS, DICT_STEPS[1:]):
        flat = {container_bytes("dict", n) for n in (low, (low + high) // 2, high - 1)}
        assert len(flat) == 1, (low, high)
        assert container_bytes("dict", high) > container_bytes("dict", high - 1)


def test_dict_index_width_and_entry_size_by_version():
    # 128 slots: 1-byte indices; 256 slots: 2-byte indices (log2 size 8).
    assert container_bytes("dict", 85, version=(3, 11)) == 64 + 32 + 128 * 1 + 85 * 24
    assert container_bytes("dict", 86, version=(3, 11)) == 64 + 32 + 256 * 2 + 170 * 24
    # 2**21 slots: 4-byte indices, the 41.9 MB table.
    assert container_bytes("dict", 699_051, version=(3, 12)) == 64 + 32 + 2**21 * 4 + 1_398_101 * 24
    # All-str keys use 16-byte entries from 3.11; 3.10 has a 40-byte header.
    assert container_bytes("dict", 10, version=(3, 11), str_keys=True) == 64 + 32 + 16 + 10 * 16
    assert container_bytes("dict", 10, version=(3, 10), str_keys=True) == 64 + 40 + 16 + 10 * 24


@pytest.mark.parametrize("low,high", [(76, 77), (1228, 1229)])
def test_set_steps_match_the_interpreter(low, high):
    items = [BASE + i for i in range(high)]

    def build(n):
        s = set()
        for x in items[:n]:
            s.add(x)
        return s

    jump = measure(lambda: build(high)) - measure(lambda: build(low))
    expected = container_bytes("set", high) - container_bytes("set", low)
    assert abs(jump - expected) <= TOLERANCE * expected


@pytest.mark.parametrize("low,high", [(42, 43), (1365, 1366)])
def test_dict_steps_match_the_interpreter(low, high):
    items = [BASE + i for i in range(high)]
    jump = measure(lambda: dict.fromkeys(items)) - measure(lambda: dict.fromkeys(items[:low]))
    expected = container_bytes("dict", high) - container_bytes("dict", low)
    assert abs(jump - expected) <= TOLERANCE * expected


def test_presized_containers_match_the_interpreter():
    n = 50_000
    keys = {BASE + i for i in range(n)}
    for container, build in (("set", lambda: set(keys)), ("dict", lambda: dict.fromkeys(keys))):
        est = container_bytes(container, n, built_by="sized")
        assert abs(measure(build) - est) <= TOLERANCE * est


def test_list_growth_follows_list_resize():
    # CPython's documented growth pattern for repeated appends.
    allocated = [(container_bytes("list", n) - 56) // 8 for n in range(1, 80)]
    assert sorted(set(allocated)) == [4, 8, 16, 24, 32, 40, 52, 64, 76, 92]
    assert container_bytes("list", 1_000, built_by="sized") == 56 + 8_000
    assert container_bytes("list", 0) == 56


# --- versions, generators, elements ----------------------------------------

def test_str_header_differs_by_version():
    assert element_bytes(Element("str", 10), version=(3, 10)) == 59
    assert element_bytes(Element("str", 10), version=(3, 11)) == 59
    assert element_bytes(Element("str", 10), version=(3, 12)) == 51
    assert element_bytes(Element("str", 10), version=(3, 13)) == 51


def test_other_version_differences():
    assert element_bytes(Element("int"), version=(3, 10)) == 28
    assert element_bytes(Element("int"), version=(3, 11)) == 32
    obj5 = Element("object", 5)
    assert element_bytes(obj5, version=(3, 12)) == element_bytes(obj5, version=(3, 11)) - 8
    assert element_bytes(obj5, version=(3, 14)) == element_bytes(obj5, version=(3, 13))
    # Older targets (code that must still run there) use the 3.10 figures.
    assert element_bytes(obj5, version=(3, 9)) == element_bytes(obj5, version=(3, 10))


def test_default_version_is_the_running_interpreter():
    here = tuple(sys.version_info[:2])
    if here > (3, 13):
        here = (3, 13)
    assert element_bytes(Element("str", 3)) == element_bytes(Element("str", 3), version=here)


def test_generator_size_does_not_depend_on_length():
    assert container_bytes("generator", 10) == container_bytes("generator", 10**9)
    lazy = estimate("generator", Element("int"), 10**9)
    assert lazy.total_bytes == container_bytes("generator", 0) + element_bytes(Element("int"))
    eager = estimate("list", Element("int"), 1_000_000)
    assert eager.lazy_bytes == lazy.total_bytes
    assert eager.total_bytes > 1_000 * eager.lazy_bytes


def test_lime_objects_default_to_the_guide_figure_and_take_overrides():
    default = estimate("list", Element("lime_object"), 100_000)
    assert element_bytes(Element("lime_object")) == LIME_OBJECT_DEFAULT_BYTES
    assert default.total_bytes > 100_000_000  # "over 100 MB" for 100,000 objects
    configured = estimate("list", Element("lime_object", 2_500), 100_000)
    assert configured.element_bytes == 250_000_000
    assert "configured" in configured.notes[0] and "guide" in default.notes[0]


def test_shared_elements_are_not_counted_per_element():
    small = estimate("list", Element("int"), 200, shared_elements=True)
    assert small.element_bytes == 0 and small.total_bytes == small.container_bytes


def test_dict_keys_default_and_override():
    rows = estimate("dict", Element("dict_row", 4), 1_000)
    assert rows.key == Element("int") and rows.key_bytes == 1_000 * element_bytes(Element("int"))
    names = estimate("dict", Element("int"), 1_000, key=Element("str", 10))
    assert names.key_bytes == 1_000 * element_bytes(Element("str", 10))
    assert names.total_bytes == names.container_bytes + names.element_bytes + names.key_bytes


def test_unknown_element_counts_the_container_only():
    e = estimate("list", Element("unknown"), 1_000)
    assert e.element_bytes == 0 and e.total_bytes == e.container_bytes


@pytest.mark.parametrize(
    "n,text",
    [(0, "0 B"), (96, "96 B"), (999, "999 B"), (1_000, "1 kB"), (812_345, "812 kB"),
     (999_499, "999 kB"), (999_500, "1.0 MB"), (103_400_000, "103.4 MB"),
     (2_500_000_000, "2.5 GB")],
)
def test_format_bytes_uses_decimal_units(n, text):
    assert format_bytes(n) == text


def test_budget_share():
    assert budget_share(100_000_000, 200) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        budget_share(1, 0)
