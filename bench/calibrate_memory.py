"""Re-measure the memory model on the running interpreter.

The hover estimates in ``lime_task_lint.memory`` are only as good as the
figures behind them, and those figures move between CPython releases (the
str header shrank in 3.12, plain objects changed layout in 3.11, 3.12 and
3.13).  This script builds the modelled shapes for real, measures them with
``tracemalloc`` (the allocator's own view, unlike ``sys.getsizeof``) and
prints them next to the estimator's figures with the error, so a new
interpreter can be checked in a minute:

    .venv/bin/python bench/calibrate_memory.py          # or any python3.10+

Structures are built the way task code builds them: ints above the small-int
cache, distinct strings, one dict per row, one instance per object.  Each
structure is freed before the next is measured, so peak memory stays well
below 2 GB.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import tracemalloc
from typing import Callable, List, Tuple

try:
    from lime_task_lint import memory as mem
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
    from lime_task_lint import memory as mem

Element = mem.Element
BASE = 1_000_000  # ints above the -5..256 cache, below 2**30 like Lime ids
ROW_FIELDS = 4  # id, name, email, phone
SIZES = (1_000, 100_000, 1_000_000)


class Plain:
    """A plain class with five attributes set in __init__ (values shared)."""

    def __init__(self) -> None:
        self.a = self.b = self.c = self.d = self.e = None


class Slotted:
    __slots__ = ("a", "b", "c", "d", "e")

    def __init__(self) -> None:
        self.a = self.b = self.c = self.d = self.e = None


def measure(build: Callable[[], object]) -> int:
    """Bytes still allocated by ``build()``'s result, per tracemalloc."""
    gc.collect()
    gc.disable()  # no collections mid-build: faster, and nothing to free
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


def ints(n: int) -> List[int]:
    return [BASE + i for i in range(n)]


def strs(n: int) -> List[str]:
    return ["%010d" % i for i in range(n)]


def rows(n: int) -> List[dict]:
    # One dict per row, column names shared (as from a query), distinct values.
    return [{"id": "%010d" % i, "name": "n%09d" % i, "email": "e%09d" % i, "phone": "p%09d" % i}
            for i in range(n)]


def objects(n: int) -> List[Plain]:
    return [Plain() for _ in range(n)]


def touched(n: int) -> List[Plain]:
    out = [Plain() for _ in range(n)]
    for o in out:
        o.__dict__  # materialise the instance dict
    return out


def slotted(n: int) -> List[Slotted]:
    return [Slotted() for _ in range(n)]


def sized(make: Callable[[int], list]) -> Callable[[int], list]:
    def build(n: int) -> list:
        tmp = make(n)
        out = list(tmp)  # exact allocation; tmp is freed below
        del tmp
        return out

    return build


def cases() -> List[Tuple[str, int, Callable[[], object], int]]:
    """(label, n, builder, estimate) for every calibrated shape."""
    row = Element("dict_row", ROW_FIELDS)
    out: List[Tuple[str, int, Callable[[], object], int]] = []

    def add(label: str, n: int, build: Callable[[], object], est: int) -> None:
        out.append((label, n, build, est))

    def total(container: str, element: Element, n: int, **kw) -> int:
        return mem.estimate(container, element, n, **kw).total_bytes

    for n in SIZES:
        big = n == 1_000_000
        add("list[int] append", n, lambda n=n: ints(n), total("list", Element("int"), n))
        add("list[int] sized", n, lambda n=n: sized(ints)(n),
            total("list", Element("int"), n, built_by="sized"))
        add("list[str10] append", n, lambda n=n: strs(n), total("list", Element("str", 10), n))
        add("list[dict_row4] append", n, lambda n=n: rows(n), total("list", row, n))
        add("list[object5] append", n, lambda n=n: objects(n), total("list", Element("object", 5), n))
        if not big:
            add("list[object5+__dict__]", n, lambda n=n: touched(n),
                total("list", Element("object_dict", 5), n))
            add("list[slots5] append", n, lambda n=n: slotted(n),
                total("list", Element("slots_object", 5), n))
        add("set[int] add", n, lambda n=n: {BASE + i for i in range(n)}, total("set", Element("int"), n))
        add("set[str10] add", n, lambda n=n: {"%010d" % i for i in range(n)},
            total("set", Element("str", 10), n))
        if not big:
            add("set[object5] add", n, lambda n=n: set(objects(n)), total("set", Element("object", 5), n))
        add("dict[int->int] insert", n, lambda n=n: {BASE + i: BASE + n + i for i in range(n)},
            total("dict", Element("int"), n))
        add("dict[str10->str10] insert", n,
            lambda n=n: {"k%09d" % i: "v%09d" % i for i in range(n)},
            total("dict", Element("str", 10), n))
        if not big:
            add("dict[int->dict_row4] insert", n,
                lambda n=n: {BASE + i: r for i, r in enumerate(rows(n))}, total("dict", row, n))
            add("dict[int->object5] insert", n,
                lambda n=n: {BASE + i: o for i, o in enumerate(objects(n))},
                total("dict", Element("object", 5), n))
        # Containers alone, over elements that already exist.
        existing_ints = None if big else ints(n)
        if existing_ints is not None:
            keys = set(existing_ints)
            add("set(other_set) sized [container]", n, lambda k=keys: set(k),
                mem.container_bytes("set", n, built_by="sized"))
            add("dict.fromkeys(set) sized [container]", n, lambda k=keys: dict.fromkeys(k),
                mem.container_bytes("dict", n, built_by="sized"))
    items = list(range(10))

    def generators() -> list:
        gens = [None] * 1_000
        for i in range(1_000):
            g = (x for x in items)
            next(g)
            gens[i] = g
        return gens

    add("1,000 started generators", 1_000, generators,
        mem.container_bytes("list", 1_000, built_by="sized")
        + 1_000 * mem.container_bytes("generator", 0))
    return out


def element_table() -> List[Tuple[str, int, int]]:
    """Per-element bytes: measured in an exact-size list, the list removed."""
    n = 100_000
    shapes = [
        ("int", Element("int"), ints),
        ("float", Element("float"), lambda n: [BASE + i + 0.5 for i in range(n)]),
        ("str(10)", Element("str", 10), strs),
        ("str(40)", Element("str", 40), lambda n: ["%040d" % i for i in range(n)]),
        ("dict_row(4)", Element("dict_row", 4), rows),
        ("tuple(2)", Element("tuple", 2),
         lambda n: [("%010d" % i, "x%09d" % i) for i in range(n)]),
        ("object(5)", Element("object", 5), objects),
        ("object(5) + __dict__", Element("object_dict", 5), touched),
        ("slots_object(5)", Element("slots_object", 5), slotted),
    ]
    out = []
    for label, element, make in shapes:
        measured = measure(lambda make=make: sized(make)(n))
        per = (measured - mem.container_bytes("list", n, built_by="sized")) / n
        out.append((label, round(per), mem.element_bytes(element)))
    return out


def err(measured: float, est: float) -> str:
    return f"{(est - measured) / measured * 100:+.1f} %" if measured else "n/a"


def main() -> int:
    start = time.perf_counter()
    v = sys.version_info
    print(f"CPython {v.major}.{v.minor}.{v.micro} ({sys.platform}), tracemalloc vs "
          f"lime_task_lint.memory; decimal units (1 MB = 1,000,000 B)\n")
    print(f"{'element':<24}{'measured':>12}{'model':>10}{'error':>10}")
    for label, per, model in element_table():
        print(f"{label:<24}{per:>10} B{model:>8} B{err(per, model):>10}")
    print()
    print(f"{'structure':<40}{'n':>11}{'measured':>14}{'model':>14}{'error':>10}")
    worst = 0.0
    for label, n, build, est in cases():
        measured = measure(build)
        worst = max(worst, abs(est - measured) / measured * 100)
        print(f"{label:<40}{n:>11,}{mem.format_bytes(measured):>14}"
              f"{mem.format_bytes(est):>14}{err(measured, est):>10}")
    print(f"\nworst error {worst:.1f} %, {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
