"""Bring a parsed docstring in line with the function's facts.

Two steps so that ``stale_reasons`` and ``update_docstring`` can never
disagree: :func:`decide` compares documented entries with the facts and
returns a :class:`Plan` (a reason for every difference plus the entries to
keep, retype, convert, drop or add); :func:`apply` then edits the lines.  An
update happens only when the plan has reasons, so an up-to-date docstring is
returned untouched, byte for byte, and applying a plan yields a docstring
whose plan is empty (idempotence, checked by the tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._analysis import FunctionFacts, Param
from ._describe import Describer
from ._text import (
    Entry,
    Parsed,
    TASK_APP,
    Section,
    escape,
    norm_name,
    norm_type,
    render_entry,
    render_header,
)

_MANAGED_ORDER = {"param": 0, "returns": 1, "yields": 1, "raises": 2}


def param_type(p: Param, typed: bool = True) -> str | None:
    if not typed:
        return None
    base = p.annotation or p.inferred
    if p.has_default:
        return f"{base}, optional" if base else "optional"
    return base


@dataclass
class Plan:
    reasons: list[str] = field(default_factory=list)
    # Desired parameters in signature order: (param, documented entry or None).
    params: list[tuple[Param, Entry | None]] = field(default_factory=list)
    retype: dict[int, str] = field(default_factory=dict)  # id(entry) -> new type
    drop: set[int] = field(default_factory=set)  # id(entry)
    convert: dict[int, str] = field(default_factory=dict)  # id(entry) -> new kind
    add_result: str | None = None  # "returns" | "yields"
    result_type: str | None = None
    raises_add: list[str] = field(default_factory=list)
    typed: bool = True


def _type_differs(written: str | None, expected: str | None) -> bool:
    return bool(written and expected and norm_type(written) != norm_type(expected))


def decide(facts: FunctionFacts, entries: list[Entry], *, prune_raises: bool = True) -> Plan:
    """Compare documented entries with the facts.

    ``prune_raises=False`` keeps documented exceptions that the analysis does
    not see raised (they may come from another module's code).
    """
    plan = Plan()
    typed_entries = [e for e in entries if e.kind != "raises"]
    plan.typed = not typed_entries or any(e.type or e.optional for e in typed_entries)

    # Parameters -----------------------------------------------------------
    keys = [p.key for p in facts.params]
    documented: dict[str, Entry] = {}
    for e in (e for e in entries if e.kind == "param"):
        key = norm_name(e.name)
        if key not in keys:
            plan.drop.add(id(e))
            plan.reasons.append(f"documents parameter '{e.name}', which is not in the signature")
        elif key in documented:
            plan.drop.add(id(e))
            plan.reasons.append(f"documents parameter '{e.name}' twice")
        else:
            documented[key] = e
    for p in facts.params:
        e = documented.get(p.key)
        plan.params.append((p, e))
        if e is None:
            plan.reasons.append(f"parameter '{p.name}' is not documented")
        elif _type_differs(e.type, p.annotation):
            plan.retype[id(e)] = p.annotation or ""
            plan.reasons.append(
                f"parameter '{p.name}' is documented as {e.type} but annotated {p.annotation}"
            )
    by_container: dict[int, list[int]] = {}
    for e in documented.values():
        by_container.setdefault(e.container, []).append(keys.index(norm_name(e.name)))
    kept_in_doc_order = sorted(documented.values(), key=lambda e: e.lines[0])
    for container in {e.container for e in kept_in_doc_order}:
        order = [keys.index(norm_name(e.name)) for e in kept_in_doc_order if e.container == container]
        if order != sorted(order):
            plan.reasons.append("parameters are documented in a different order than the signature")
            break

    # Returns / Yields -----------------------------------------------------
    returns = [e for e in entries if e.kind == "returns"]
    yields = [e for e in entries if e.kind == "yields"]
    r = returns[0] if returns else None
    y = yields[0] if yields else None
    for extra in returns[1:] + yields[1:]:
        plan.drop.add(id(extra))
        plan.reasons.append(f"documents {extra.kind.capitalize()} twice")

    def check_type(entry: Entry, expected: str | None, what: str) -> None:
        if _type_differs(entry.type, expected):
            plan.retype[id(entry)] = expected or ""
            plan.reasons.append(f"{what} is documented as {entry.type} but annotated {expected}")

    if facts.is_generator:
        if y is not None:
            check_type(y, facts.yield_annotation, "the yielded type")
        elif r is not None:
            plan.convert[id(r)] = "yields"
            plan.reasons.append("the function is a generator: Returns should be Yields")
            if facts.yield_annotation and r.type and norm_type(r.type) != norm_type(
                facts.yield_annotation
            ):
                plan.retype[id(r)] = facts.yield_annotation
        else:
            plan.add_result = "yields"
            plan.result_type = facts.yield_annotation
            plan.reasons.append("the yielded values are not documented")
    elif facts.needs_returns:
        if r is not None:
            check_type(r, facts.return_annotation, "the return type")
            if y is not None:
                plan.drop.add(id(y))
                plan.reasons.append("documents Yields but the function is not a generator")
        elif y is not None:
            plan.convert[id(y)] = "returns"
            plan.reasons.append("the function is no longer a generator: Yields should be Returns")
            if _type_differs(y.type, facts.return_annotation):
                plan.retype[id(y)] = facts.return_annotation or ""
        else:
            plan.add_result = "returns"
            plan.result_type = facts.return_annotation or facts.return_inferred
            plan.reasons.append("the return value is not documented")
    elif facts.returns_nothing:
        if r is not None:
            plan.drop.add(id(r))
            plan.reasons.append("documents a return value but the function returns nothing")
        if y is not None:
            plan.drop.add(id(y))
            plan.reasons.append("documents Yields but the function is not a generator")

    # Raises ---------------------------------------------------------------
    remaining = list(facts.raises)
    for e in (e for e in entries if e.kind == "raises"):
        match = _match_exception(norm_name(e.name), remaining)
        if match is None and prune_raises:
            plan.drop.add(id(e))
            plan.reasons.append(f"documents {e.name}, which the function does not raise")
        elif match is not None:
            remaining.remove(match)
    for name in remaining:
        plan.raises_add.append(name)
        plan.reasons.append(f"raises {name}, which is not documented")
    return plan


def _match_exception(written: str, raised: list[str]) -> str | None:
    if written in raised:
        return written
    last = written.rsplit(".", 1)[-1]
    for name in raised:
        if name.rsplit(".", 1)[-1] == last:
            return name
    return None


# --------------------------------------------------------------------------
# Applying a plan
# --------------------------------------------------------------------------


@dataclass
class Output:
    """Helpers to turn dedented lines into raw lines of this literal."""

    parsed: Parsed
    indent: str  # indentation of the docstring's lines
    unit: str  # one indentation step inside sections
    literal_raw: bool
    quote: str
    style: str
    is_task: bool
    plan: Plan
    describer: Describer
    described: dict[str, str] = field(default_factory=dict)  # parameter name -> known description

    def new(self, text: str) -> str:
        return self.indent + escape(text, self.literal_raw, self.quote) if text else ""

    def kept(self, i: int, entry: Entry | None = None) -> str:
        """Raw line i, with the entry's type or field name spliced if needed."""
        t = self.parsed.text
        line = t.lines[i]
        edits: list[tuple[int, int, str]] = []
        if entry is not None:
            if id(entry) in self.plan.retype and entry.type_span and entry.type_span[0] == i:
                _, s, e = entry.type_span
                new_type = escape(self.plan.retype[id(entry)], self.literal_raw, self.quote)
                edits.append((s, e, new_type))
            if id(entry) in self.plan.convert:
                to = self.plan.convert[id(entry)]
                for ln, s, e in entry.kind_spans:
                    if ln == i:
                        old = line[s:e]
                        short = old in ("rtype", "ytype")
                        new = ("rtype" if to == "returns" else "ytype") if short else to
                        edits.append((s, e, new))
        if not edits:
            return t.raw[i]
        for s, e, text in sorted(edits, reverse=True):
            line = line[:s] + text + line[e:]
        return (t.indent if i > 0 else "") + line

    def entry_lines(self, entry: Entry) -> list[str]:
        return [self.kept(i, entry) for i in entry.lines]


def _new_param(out: Output, p: Param, entry_indent: str) -> list[str]:
    type_ = param_type(p, out.plan.typed)
    if p.name in out.described:
        desc = out.described[p.name]
    elif out.is_task and out.plan.params and out.plan.params[0][0] is p and not p.name.startswith("*"):
        desc = TASK_APP  # a task's first parameter is the application the task handler passes
    else:
        desc = out.describer.param(p)
    return [out.new(x) for x in render_entry(out.style, "param", p.name, type_, desc, entry_indent, out.unit)]


def _new_simple(out: Output, kind: str, name: str | None, type_: str | None, entry_indent: str) -> list[str]:
    if kind == "raises":
        desc = out.describer.raises(name or "")
    else:
        desc = out.describer.result(kind, out.is_task)
    lines = render_entry(out.style, kind, name, type_, desc, entry_indent, out.unit)
    return [out.new(x) for x in lines]


def apply(out: Output) -> list[str]:
    """New raw content lines (closing line not included)."""
    if out.style == "sphinx":
        return _apply_fields(out)
    return _apply_sections(out)


def _apply_sections(out: Output) -> list[str]:
    plan, parsed = out.plan, out.parsed
    t = parsed.text
    sections = parsed.sections
    param_secs = [s for s in sections if s.kind == "param"]
    primary = param_secs[0] if param_secs else None
    missing = [p for p, e in plan.params if e is None]
    sig_index = {id(e): n for n, (_, e) in enumerate(plan.params) if e is not None}
    new_entry_indent = "" if out.style == "numpy" else out.unit

    def section_lines(sec: Section) -> list[str] | None:
        """New raw lines for an existing managed section; None to delete it."""
        changed = False
        if sec.kind == "param":
            kept = [e for e in sec.entries if id(e) not in plan.drop]
            ordered = sorted(kept, key=lambda e: sig_index[id(e)])
            changed = ordered != sec.entries or any(id(e) in plan.retype for e in kept)
            body: list[tuple[int, list[str]]] = [(sig_index[id(e)], out.entry_lines(e)) for e in ordered]
            if sec is primary and missing:
                changed = True
                ind = sec.entry_indent or new_entry_indent
                for n, (p, e) in enumerate(plan.params):
                    if e is None:
                        body.append((n, _new_param(out, p, ind)))
                body.sort(key=lambda item: item[0])
            if not changed:
                return [t.raw[i] for i in range(sec.start, sec.end)]
            if not body and not sec.preamble:
                return None
            lines = [t.raw[i] for i in range(sec.start, sec.body_start)]
            lines += [t.raw[i] for i in sec.preamble]
            for _, chunk in body:
                lines += chunk
            return lines
        if sec.kind in ("returns", "yields"):
            entry = sec.entries[0] if sec.entries else None
            if entry is None:
                return [t.raw[i] for i in range(sec.start, sec.end)]
            if id(entry) in plan.drop:
                return None
            if id(entry) not in plan.convert and id(entry) not in plan.retype:
                return [t.raw[i] for i in range(sec.start, sec.end)]
            header = [t.raw[i] for i in range(sec.start, sec.body_start)]
            if id(entry) in plan.convert:
                header = [out.new(x) for x in render_header(out.style, plan.convert[id(entry)])]
            lines = header + [t.raw[i] for i in sec.preamble] + out.entry_lines(entry)
            return lines
        if sec.kind == "raises":
            kept = [e for e in sec.entries if id(e) not in plan.drop]
            adds = plan.raises_add if sec is raises_primary else []
            if kept == sec.entries and not adds:
                return [t.raw[i] for i in range(sec.start, sec.end)]
            if not kept and not adds and not sec.preamble:
                return None
            lines = [t.raw[i] for i in range(sec.start, sec.body_start)]
            lines += [t.raw[i] for i in sec.preamble]
            for e in kept:
                lines += out.entry_lines(e)
            for name in adds:
                ind = sec.entry_indent or new_entry_indent
                lines += _new_simple(out, "raises", name, None, ind)
            return lines
        return [t.raw[i] for i in range(sec.start, sec.end)]

    raises_secs = [s for s in sections if s.kind == "raises"]
    raises_primary = raises_secs[0] if raises_secs else None

    # Sections to create.
    creations: list[tuple[str, list[str]]] = []
    if missing and primary is None:
        lines = [out.new(x) for x in render_header(out.style, "param")]
        for p in missing:
            lines += _new_param(out, p, new_entry_indent)
        creations.append(("param", lines))
    if plan.add_result:
        kind = plan.add_result
        lines = [out.new(x) for x in render_header(out.style, kind)]
        type_ = plan.result_type if plan.typed else None
        lines += _new_simple(out, kind, None, type_, new_entry_indent)
        creations.append((kind, lines))
    if plan.raises_add and raises_primary is None:
        lines = [out.new(x) for x in render_header(out.style, "raises")]
        for name in plan.raises_add:
            lines += _new_simple(out, "raises", name, None, new_entry_indent)
        creations.append(("raises", lines))

    new_content = {id(s): section_lines(s) for s in sections}
    surviving = [s for s in sections if s.kind != "other" and new_content[id(s)] is not None]

    after: dict[int, list[list[str]]] = {}
    before: dict[int, list[list[str]]] = {}
    at_end: list[list[str]] = []
    for kind, lines in creations:
        rank = _MANAGED_ORDER[kind]
        prior = [s for s in surviving if _MANAGED_ORDER[s.kind] <= rank]
        later = [s for s in surviving if _MANAGED_ORDER[s.kind] > rank]
        late_other = [s for s in sections if s.kind == "other" and s.late]
        if prior:
            after.setdefault(id(prior[-1]), []).append(lines)
        elif later:
            before.setdefault(id(later[0]), []).append(lines)
        elif late_other:
            before.setdefault(id(late_other[0]), []).append(lines)
        else:
            at_end.append(lines)

    result: list[str] = []
    starts = {s.start: s for s in sections}
    i = 0
    n = len(t.lines)
    skip_blanks = False
    while i < n:
        sec = starts.get(i)
        if sec is None:
            if skip_blanks and not t.lines[i].strip():
                i += 1
                continue
            skip_blanks = False
            result.append(t.raw[i])
            i += 1
            continue
        skip_blanks = False
        for lines in before.get(id(sec), []):
            result += lines + [""]
        content = new_content[id(sec)]
        if content is None:
            # Deleted: also drop the blank lines that separated it.
            if not any(t.lines[k].strip() for k in range(sec.end, n)):
                while result and not result[-1].strip():
                    result.pop()
            skip_blanks = True
        else:
            result += content
        for lines in after.get(id(sec), []):
            result += [""] + lines
        i = sec.end
    if at_end:
        trailing: list[str] = []
        while len(result) > 1 and not result[-1].strip():
            trailing.insert(0, result.pop())
        for lines in at_end:
            result += [""] + lines
        result += trailing
    return result


def _apply_fields(out: Output) -> list[str]:
    plan, parsed = out.plan, out.parsed
    t = parsed.text
    entries = parsed.entries
    region = parsed.field_region
    managed_lines = {i for e in entries for i in e.lines}

    groups: list[list[str]] = []
    for p, e in plan.params:
        if e is None:
            groups.append(_new_param(out, p, ""))
        else:
            groups.append(out.entry_lines(e))
    result_entries = [e for e in entries if e.kind in ("returns", "yields") and id(e) not in plan.drop]
    result_entries.sort(key=lambda e: e.lines[0])
    for e in result_entries:
        groups.append(out.entry_lines(e))
    if plan.add_result:
        type_ = plan.result_type if plan.typed else None
        groups.append(_new_simple(out, plan.add_result, None, type_, ""))
    for e in entries:
        if e.kind == "raises" and id(e) not in plan.drop:
            groups.append(out.entry_lines(e))
    for name in plan.raises_add:
        groups.append(_new_simple(out, "raises", name, None, ""))

    head_fields: list[str] = []
    tail_fields: list[str] = []
    seen_managed = False
    for fstart, fend, kind, _arg in parsed.fields:
        if fstart in managed_lines:
            seen_managed = True
            continue
        chunk = [t.raw[i] for i in range(fstart, fend)]
        (tail_fields if seen_managed else head_fields).extend(chunk)
    field_lines = head_fields + [ln for g in groups for ln in g] + tail_fields

    if region is None:
        result = list(t.raw)
        if not field_lines:
            return result
        trailing: list[str] = []
        while len(result) > 1 and not result[-1].strip():
            trailing.insert(0, result.pop())
        return result + [""] + field_lines + trailing
    start, end = region
    before = [t.raw[i] for i in range(start)]
    after = [t.raw[i] for i in range(end, len(t.raw))]
    if not field_lines:
        while len(before) > 1 and not before[-1].strip():
            before.pop()
        return before + after
    return before + field_lines + after
