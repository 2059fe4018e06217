"""Incremental analysis: after an edit, re-run the rules on the code the edit
can affect only, and reuse the other findings of the previous version.

The unit of reuse is a **component**: top-level statements that define
functions or classes ("units"), grouped with every unit they can influence
through the model, i.e. linked when one mentions a name another defines (a
call, ``ScheduledTask(task=f)``, ``map(f, ...)``) or when two define the same
name.  Roles flow into helpers and summaries flow back to callers only along
those links, so a component's findings depend on nothing but

* the text of its units (in file order),
* the **context**: every top-level statement that defines no function or class
  (imports, ``logger = ...``, constants), and
* whole-document facts: settings, path, indentation unit, line ending,
  and the workspace's (jedi) answers.

Each component's findings are cached under the hash of exactly those inputs.
For a new version the text is diffed against the previous one (common prefix
and suffix), only the top-level statements inside the changed lines are
re-parsed, and the rules run on a **reduced document**: the new text with the
lines of every reusable unit blanked to spaces.  Offsets, lines and columns
are therefore the same as in the real text, so the findings of the reduced
run need no translation, and cached findings only shift by the edit's length.

Whenever a shortcut could differ from a from-scratch analysis the analyser
falls back to one: the file or the changed lines do not parse, a file-level
``# lime-task-lint: noqa`` comment exists, the settings or workspace answers
changed, a finding or fix of the reduced run touches a blanked line, or a
cached finding touches the changed text.  ``tests/test_incremental.py``
checks that random edit sequences give the same findings, ranges and fixes as
from-scratch analyses.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace

from .analysis import Analysis, analyse
from .checker import CheckResult, check
from .document import SourceDocument, parse_module, recover_module
from .edits import BOM, Edit, Fix, LineIndex, apply_edits, import_section, statement_kind
from .framework import RuleContext, Violation
from .model import _relation_name, walk
from .settings import Settings

_FILE_NOQA = re.compile(r"#\s*lime-task-lint\s*:\s*noqa", re.IGNORECASE)
log = logging.getLogger(__name__)
_NOT_NEWLINE = re.compile(r"[^\r\n]+")
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_WORDS = re.compile(r"\w+")
_DEF = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class StatementFacts:
    """What the component grouping needs to know about one top-level statement."""

    unit: bool  # defines a function or class (else: context)
    defines: frozenset[str]
    refs: frozenset[str]
    #: Lime properties and relations the statement mentions (``x.properties.<name>``,
    #: ``x.get_property("<name>")``): units that share one that some unit of the
    #: module fetches are analysed together, since LIME203's pre-fetch learns what
    #: a relation points to from another function using it.
    links: frozenset[str] = frozenset()
    #: The relations the statement fetches (``<accessor>.fetch(...)``): the only
    #: ones a rule asks other functions about (``prefetch.related_limetype``).
    fetched: frozenset[str] = frozenset()
    #: Every other name the statement binds anywhere inside (parameters, import
    #: aliases, ``except ... as``, ``global``, nested ``def``): with ``refs`` and
    #: ``defines``, the names a fix that adds a module-level name must avoid.
    binds: frozenset[str] = frozenset()
    #: ``edits.statement_kind``: what the place of a new import reads of it
    kind: str = ""
    #: Names a unit binds at module level besides its own definitions: imports
    #: inside it and names it declares ``global`` (``del logger`` there makes the
    #: module's ``logger`` unusable to a fix in any other function): such a unit
    #: is in every reduced document (``_always_read``).
    module_names: frozenset[str] = frozenset()
    #: What a unit's module-level bindings mean, for the context key: the dumps
    #: of its imports, and its whole text when it declares a name ``global``
    #: (whether that binding is a logger, or deleted, is anywhere in it).
    module_effects: tuple[str, ...] = ()


def statement_facts(stmt: ast.stmt) -> StatementFacts:
    defines: set[str] = set()
    stack: list[ast.stmt] = [stmt]
    while stack:  # the model also collects defs under module-level if / try / with
        node = stack.pop()
        if isinstance(node, _DEF):
            defines.add(node.name)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith)) or type(node).__name__ == "TryStar":
            for name in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, name, None) or [])
            for handler in getattr(node, "handlers", None) or []:
                stack.extend(handler.body)
    refs: set[str] = set()
    links: set[str] = set()
    fetched: set[str] = set()
    imported: set[str] = set()
    import_dumps: list[str] = []
    declared_global: set[str] = set()
    binds: set[str] = set()
    unit = bool(defines)
    for node in walk(stmt):
        if isinstance(node, ast.Name):
            refs.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
            import_dumps.append(ast.dump(node))
        elif isinstance(node, ast.Global):
            declared_global.update(node.names)
        elif isinstance(node, ast.arg):
            binds.add(node.arg)
        elif isinstance(node, (*_DEF, ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
            if getattr(node, "name", None):
                binds.add(node.name)
        elif isinstance(node, ast.Nonlocal):
            binds.update(node.names)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            binds.add(node.rest)
        elif isinstance(node, (ast.Attribute, ast.Call)):
            relation = _relation_name(node)
            if relation is not None:
                links.add(relation)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fetch":
                relation = _relation_name(node.func.value)
                if relation is not None:
                    fetched.add(relation)
        if not unit and isinstance(node, _DEF):
            unit = True
    module_names: frozenset[str] = frozenset()
    module_effects: tuple[str, ...] = ()
    if unit:
        # The model reads every import of the module and the names a function
        # rebinds with ``global`` as module-wide: a unit holding one (an import in a
        # function or under a top-level ``try``) changes what its users mean.
        module_names = frozenset(imported | declared_global)
        defines |= module_names
        module_effects = (ast.dump(stmt),) if declared_global else tuple(import_dumps)
    return StatementFacts(unit, frozenset(defines), frozenset(refs), frozenset(links), frozenset(fetched),
                          frozenset(binds | imported | declared_global), statement_kind(stmt), module_names,
                          module_effects)


@dataclass
class _Statement:
    first: int  # 0-based lines, decorators included
    last: int
    text: str
    facts: StatementFacts
    #: (some indented line starts with a tab, smallest space indentation or 0), as
    #: ``edits.indent_unit`` sees this statement's lines.
    indent: tuple[bool, int] = (False, 0)

    #: lines the recovering parser could not read as statements (the file is being
    #: edited): no unit, no context, kept in every reduced document as they are.
    broken: bool = False
    #: the recovering parser's broken pieces, as (first, last) lines relative to ``first``
    pieces: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.indent == (False, 0):
            self.indent = _indent_facts(self.text)


def _indent_facts(text: str) -> tuple[bool, int]:
    tab, smallest = False, 0
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#") or stripped == line:
            continue
        lead = line[: len(line) - len(stripped)]
        if lead.startswith("\t"):
            tab = True
        elif smallest == 0 or len(lead) < smallest:
            smallest = len(lead)
    return tab, smallest


def _indent_unit_of(statements) -> str:
    """``edits.indent_unit`` of a text made of these statements (lines between
    top-level statements hold only blanks and comments, which it skips)."""
    smallest = 0
    for stmt in statements:
        tab, size = stmt.indent
        if tab:
            return "\t"
        if size and (smallest == 0 or size < smallest):
            smallest = size
    return " " * (smallest or 4)


@dataclass
class _State:
    """What is kept of the last analysed version of one document."""

    text: str
    index: LineIndex
    statements: list[_Statement]
    context_key: str
    #: component key -> findings (offsets into ``text``)
    findings: dict[str, list[Violation]]
    #: unit statement position -> component key
    unit_keys: dict[int, str] = field(default_factory=dict)

    #: digest of every name the module's statements bind or use (``_names_key``)
    names_key: str = ""
    #: components with a finding whose fix edits outside the component (an import,
    #: a module-level logger): the names it picks depend on the whole module
    reaching: frozenset[str] = frozenset()
    #: component key -> the numbers its findings' texts hold (``_numbers_in``), made
    #: when first asked and passed on to the next state with the reused findings
    numbers: dict[str, frozenset[int]] = field(default_factory=dict)
    #: component key -> (smallest, largest) offset of its findings and their fixes'
    #: edits (see ``extent``), carried to the next state for the components moved
    extents: dict[str, tuple[int, int] | None] = field(default_factory=dict)
    #: ``text`` with every line blanked (``_blank_lines``), once made: the next
    #: version's is this one with the edits applied, blanked
    blank: str | None = None

    def extent(self, key: str) -> tuple[int, int] | None:
        """(smallest, largest) offset of the findings of component ``key`` and of
        their fixes' edits; None when it has none."""
        if key in self.extents:
            return self.extents[key]
        offsets = [offset for violation in self.findings.get(key, ()) for offset in _offsets(violation)]
        extent = self.extents[key] = (min(offsets), max(offsets)) if offsets else None
        return extent

    def starts_of(self, key: str) -> list[int]:
        """Offsets (into ``text``) of the first line of each member of component ``key``."""
        starts = self.__dict__.get("_starts")
        if starts is None:
            starts = {}
            for i, member in self.unit_keys.items():
                starts.setdefault(member, []).append(self.index.line_starts[self.statements[i].first])
            self.__dict__["_starts"] = starts
        return starts.get(key, [])


class Components:
    """The reuse engine's components of one analysed text, for editor features
    that cache what they compute per component as the engine caches findings
    (the budget lenses).  What a component's functions give from the model
    depends on the inputs its key hashes (the module docstring): equal keys,
    equal results, at the same offsets relative to the component's units."""

    def __init__(self, state: _State) -> None:
        self._state = state

    def units(self) -> list[tuple[str, int, int]]:
        """(component key, start offset, end offset) of each unit, in file order."""
        state = self._state
        starts, length = state.index.line_starts, len(state.text)
        return [(state.unit_keys[i], starts[stmt.first],
                 starts[stmt.last + 1] if stmt.last + 1 < len(starts) else length)
                for i, stmt in enumerate(state.statements) if i in state.unit_keys]

    def reduced(self, keys: set[str], path: str | None, version: int | None) -> SourceDocument | None:
        """The text with the units of every component not in ``keys`` blanked (same
        offsets, lines and columns), read as the kept statements, as ``reanalyse``
        makes its reduced document; None when it might read otherwise.  It may keep
        other components too (``_always_read``, ``_keeping_layout``)."""
        state = self._state
        # Also read: what every reduced document reads, and what keeps the module's
        # docstring and import section in place (their entries are not asked for).
        keys = set(keys) | _always_read(state.statements, state.unit_keys)
        keys.update(_keeping_layout(state.statements, state.unit_keys,
                                    {key: None for key in state.unit_keys.values() if key not in keys}))
        blanked: list[tuple[int, int]] = []
        kept: list[_Statement] = []
        for i, stmt in enumerate(state.statements):
            if i in state.unit_keys and state.unit_keys[i] not in keys:
                blanked.append((stmt.first, stmt.last))
            else:
                kept.append(stmt)
        if _indent_unit_of(kept) != _indent_unit_of(state.statements):
            return None
        document = _reduced_document(_blank_lines(state.text, state.index, blanked), state.index, path, version)
        known = _recovered_from(document.text, kept) if any(stmt.broken for stmt in kept) else None
        if known is not None:
            document.__dict__["recovered"] = known
        elif document.recovered.error is not None and not _read_as_expected(document, kept):
            return None
        return document


@dataclass
class IncrementalStats:
    full: int = 0
    incremental: int = 0
    reused_components: int = 0
    analysed_components: int = 0
    last_mode: str = ""
    last_reason: str = ""


class IncrementalAnalyser:
    """Keeps the previous version of each document and analyses new ones incrementally.

    Thread-safe: one lock per analyser (the server analyses on one worker thread).
    """

    def __init__(self, chunk_lines: int = 2000) -> None:
        #: A from-scratch analysis runs the rules on batches of about this many
        #: lines of functions (memory stays bounded; rule costs that grow with the
        #: module size stay per batch).
        self.chunk_lines = max(1, chunk_lines)
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()
        self._views: dict = {}
        self.stats = IncrementalStats()

    def forget(self, uri: str) -> None:
        with self._lock:
            self._states.pop(uri, None)
            self._views = {}

    def analyse(self, uri: str, text: str, settings: Settings, *, path: str | None = None,
                version: int | None = None, root=None, workspace=None) -> Analysis:
        with self._lock:
            context_extra = _environment_key(settings, path, root, workspace)
            previous = self._states.get(uri)
            analysis = None
            reason = "first version"
            if previous is not None:
                try:
                    analysis, reason = self._incremental(uri, previous, text, settings, path, version, root,
                                                         workspace, context_extra)
                except RecursionError:
                    analysis, reason = None, "nesting too deep"
                except Exception:  # a bug here must cost speed, never findings
                    log.exception("incremental analysis of %s failed; analysing from scratch", uri)
                    analysis, reason = None, "incremental analysis failed"
            if analysis is None:
                try:
                    analysis, why = self._chunked(uri, text, settings, path, version, root, workspace,
                                                  context_extra)
                except RecursionError:
                    analysis, why = None, "nesting too deep"
                except Exception:
                    log.exception("chunked analysis of %s failed; analysing from scratch", uri)
                    analysis, why = None, "chunked analysis failed"
                if analysis is not None:
                    self.stats.full += 1
                    self.stats.last_mode, self.stats.last_reason = "chunked", reason
                    return self._with_components(uri, analysis)
                reason = f"{reason}; {why}"
            if analysis is None:
                recorder = _RecordingWorkspace(workspace) if workspace is not None else None
                analysis = analyse(uri, text, settings, path=path, version=version, root=root, workspace=recorder)
                analysis.workspace = workspace
                analysis.result.context.workspace = workspace
                self._states[uri] = state_of(analysis.document, analysis.violations, analysis.result.notes,
                                             context_extra, recorder)
                self.stats.full += 1
                self.stats.last_mode, self.stats.last_reason = "full", reason
            return self._with_components(uri, analysis)

    def _with_components(self, uri: str, analysis: Analysis) -> Analysis:
        """``analysis`` with the components of its text (None when no state was
        kept of it), taken now: the next analysis replaces the state."""
        state = self._states.get(uri)
        text = analysis.document.text
        if state is not None and (state.text is text or state.text == text):
            analysis.components = Components(state)
        return analysis

    def view(self, analysis: Analysis, start: int, end: int | None = None) -> Analysis:
        """An analysis of just the component(s) holding ``start``..``end``, for hovers
        and code actions: the same offsets, the other units blanked, so its model is
        built in milliseconds instead of re-building the whole file's model after
        every edit.  Falls back to ``analysis`` itself when the range is not inside
        units or the document is not the analysed version."""
        end = start if end is None else end
        # No lock: states and views are replaced, never mutated, so a code action
        # on the event loop never waits for an analysis running on the worker.
        state = self._states.get(analysis.uri)
        if state is None or state.text is not analysis.document.text and state.text != analysis.document.text:
            return analysis
        cache_key = (analysis.uri, analysis.version, id(analysis))
        index = state.index
        starts = [(s.first, i) for i, s in enumerate(state.statements)]
        wanted: set[str] = set()
        for line in range(index.line_of(start), index.line_of(max(start, end)) + 1):
            owner = _owner(state.statements, starts, line)
            if owner is None or owner not in state.unit_keys:
                if line in (index.line_of(start), index.line_of(end)):
                    return analysis  # module-level code: only the whole file's model is exact
                continue
            wanted.add(state.unit_keys[owner])
        view_key = (cache_key, frozenset(wanted))
        cached = self._views.get(view_key)
        if cached is not None:
            return cached
        blanked = [(s.first, s.last) for i, s in enumerate(state.statements)
                   if i in state.unit_keys and state.unit_keys[i] not in wanted]
        text = _blank_lines(state.text, index, blanked)
        kept = [s for i, s in enumerate(state.statements)
                if not (i in state.unit_keys and state.unit_keys[i] not in wanted)]
        if _indent_unit_of(kept) != _indent_unit_of(state.statements):
            return analysis
        document = SourceDocument(text, analysis.document.path, analysis.version)
        context = RuleContext(document, analysis.settings, analysis.workspace)
        result = CheckResult(document, context, analysis.violations, list(analysis.result.notes))
        view = Analysis(analysis.uri, analysis.version, document, analysis.settings, result, analysis.root,
                        analysis.workspace)
        self._views = {view_key: view}  # one view: the last position asked about
        return view

    # -- a from-scratch analysis in batches of components ----------------------------
    def _chunked(self, uri, text: str, settings: Settings, path, version, root, workspace,
                 context_extra: str) -> tuple[Analysis | None, str]:
        """The same findings as ``analyse``, computed one batch of components at a
        time on reduced documents (see the module docstring)."""
        if _FILE_NOQA.search(text):
            return None, "file-level noqa"
        document = SourceDocument(text, path, version)
        index = document.index
        statements = _split_statements(text, index, self.chunk_lines)
        if statements is None:
            return None, "the file does not parse in pieces"
        context_key = _context_key(context_extra, _indent_unit_of(statements), document.newline, statements)
        unit_keys = _component_keys(statements, context_key)
        members: dict[str, list[int]] = {}
        for i, key in unit_keys.items():
            members.setdefault(key, []).append(i)
        batches: list[set[str]] = [set()]
        size = 0
        for key, indices in sorted(members.items(), key=lambda item: item[1][0]):
            lines = sum(statements[i].last - statements[i].first + 1 for i in indices)
            if size and size + lines > self.chunk_lines:
                batches.append(set())
                size = 0
            batches[-1].add(key)
            size += lines
        starts = [(s.first, i) for i, s in enumerate(statements)]
        findings: dict[str, list[Violation]] = {key: [] for key in members}
        module_level: list[Violation] = []
        provisional: set[str] = set()
        blanker = _Blanker(text, index)
        notes: list[str] = []
        budget = _Budget(getattr(workspace, "time_budget", 0.4))
        always_read = _always_read(statements, unit_keys)
        for number, batch in enumerate(batches):
            # Read with the batch: what every batch needs, and what keeps the module's
            # docstring and import section as in the whole text; their findings are
            # taken from their own batch only.
            read = batch | always_read
            read.update(_keeping_layout(statements, unit_keys, {key: None for key in members if key not in read}))
            blanked = [(s.first, s.last) for i, s in enumerate(statements)
                       if i in unit_keys and unit_keys[i] not in read]
            kept = [s for i, s in enumerate(statements) if not (i in unit_keys and unit_keys[i] not in read)]
            if _indent_unit_of(kept) != _indent_unit_of(statements):
                return None, "indentation unit differs in a batch"
            reduced = _reduced_document(blanker.blank(blanked), index, path, version)
            recorder = _RecordingWorkspace(workspace, budget) if workspace is not None else None
            result = check(reduced, settings, root=root, workspace=recorder)
            if reduced.recovered.error is not None:
                return None, "a batch does not parse"
            if any(not note.startswith("syntax error") for note in result.notes):
                return None, "a rule failed"
            blank_ranges = [(index.line_starts[f], index.line_starts[l + 1] if l + 1 < index.line_count else len(text))
                            for f, l in blanked]
            others = {key for key in members if key not in read}
            if _names_hidden_by_blanking(result.violations, statements, unit_keys, others, index, len(text)):
                return None, "a fix adds a name that only another batch uses"
            for violation in result.violations:
                if _touches(violation, blank_ranges):
                    return None, "a finding touches another batch"
                owner = _owner(statements, starts, index.line_of(violation.start))
                if owner is not None and owner in unit_keys:
                    if unit_keys[owner] in batch:
                        findings[unit_keys[owner]].append(violation)
                elif number == 0:
                    module_level.append(violation)
            provisional |= _provisional(statements, unit_keys, recorder)
            if number == 0:
                notes = list(result.notes)
        violations = [v for group in findings.values() for v in group] + module_level
        violations.sort(key=lambda v: (v.start, v.code, v.end))
        check_result = CheckResult(document, _LazyContext(document, settings, workspace), violations, notes)
        analysis = Analysis(uri, version, document, settings, check_result, root, workspace)
        for key in provisional:
            findings.pop(key, None)
        self._states[uri] = _make_state(text, index, statements, context_key, findings, unit_keys)
        return analysis, "chunked"

    # -- the incremental path ------------------------------------------------------
    def _incremental(self, uri, previous: _State, text: str, settings: Settings, path, version, root,
                     workspace, context_extra: str) -> tuple[Analysis | None, str]:
        old = previous.text
        prefix = _common_prefix(old, text)
        suffix = _common_suffix(old, text, prefix)
        change = Edit(prefix, len(old) - suffix, text[prefix:len(text) - suffix])
        document = SourceDocument(text, path, version)
        update = reanalyse(previous, document, [change], settings, root=root, workspace=workspace,
                           context_extra=context_extra)
        if isinstance(update, str):
            return None, update
        context = _LazyContext(document, settings, workspace)
        check_result = CheckResult(document, context, update.violations, update.notes)
        analysis = Analysis(uri, version, document, settings, check_result, root, workspace)
        self._states[uri] = update.state
        self.stats.incremental += 1
        self.stats.reused_components += update.reused
        self.stats.analysed_components += update.analysed
        self.stats.last_mode, self.stats.last_reason = "incremental", f"{update.reused} components reused"
        return analysis, "incremental"


# -- the reuse engine: the editor's keystrokes and fix-all's passes ------------------
@dataclass
class Update:
    """The findings of a new version computed by :func:`reanalyse`, and its state."""

    violations: list[Violation]
    notes: list[str]
    state: _State
    reused: int
    analysed: int


def reanalyse(previous: _State, document: SourceDocument, edits: list[Edit], settings: Settings, *,
              root=None, workspace=None, context_extra: str, budget: "_Budget | None" = None,
              codes: set[str] | None = None) -> "Update | str":
    """The findings of ``document``, whose text is ``previous.text`` with ``edits``
    applied (non-overlapping, offsets into ``previous.text``): the rules run only
    on the components the edits can matter to, on a reduced document; the other
    components' findings are ``previous``'s, moved past the edits.

    Returns the reason (a string) when a shortcut could differ from a from-scratch
    analysis; the caller then analyses from scratch.  Used by the editor (one edit:
    the changed span between two versions) and by fix-all (the fixes one pass
    applied)."""
    text = document.text
    if _FILE_NOQA.search(text):
        return "file-level noqa"
    edits = [e for e in edits if e.start != e.end or e.new_text]
    if "index" not in document.__dict__:  # the previous version's line starts, moved past the edits
        moved_index = LineIndex.after_edits(previous.index, text, edits)
        if moved_index is not None:
            document.__dict__["index"] = moved_index
    new_index = document.index
    statements = _reread(previous, text, new_index, edits)
    if isinstance(statements, str):
        return statements
    unit_indent = _indent_unit_of(statements)
    context_key = _context_key(context_extra, unit_indent, document.newline, statements)
    unit_keys = _component_keys(statements, context_key)
    near_broken = _next_to_broken(statements, unit_keys)
    moved = _OffsetMap(edits)
    first_moved_line = _first_moved_line(previous, edits, new_index.line_count)
    members: dict[str, list[int]] = {}
    for i, key in unit_keys.items():
        members.setdefault(key, []).append(i)

    # Which components can reuse the previous findings?
    reuse: dict[str, list[Violation]] = {}
    extents: dict[str, tuple[int, int] | None] = {}
    names_key = _names_key(statements)
    always_read = _always_read(statements, unit_keys)
    for key, positions in members.items():
        if key in near_broken or key in always_read or context_key != previous.context_key:
            continue
        if key in previous.reaching and names_key != previous.names_key:
            continue  # a fix that adds a module-level name chose it among the module's names
        cached = previous.findings.get(key)
        if cached is None:
            continue
        if first_moved_line is not None and _names_a_moved_line(previous, key, first_moved_line):
            continue  # a text may name a line that moved (LIME203's "as used at line 16"): analysed again
        new_starts = [new_index.line_starts[statements[i].first] for i in positions]
        if [moved(o) for o in previous.starts_of(key)] != new_starts:
            continue  # the same text elsewhere (a copy): not this component's findings
        extent = previous.extent(key)
        if extent is None or extent[1] < moved.first:  # all before the edits: as they were
            shifted, extents[key] = cached, extent
        elif extent[0] > moved.last:  # all after the edits: one shift for all
            delta = moved.shifts[-1]
            shifted = [_shifted_violation(v, delta) for v in cached] if delta else cached
            extents[key] = (extent[0] + delta, extent[1] + delta)
        else:
            shifted = [_moved_violation(v, moved) for v in cached]
            if any(v is None for v in shifted):
                continue  # a finding or its fix touches the edited text
        reuse[key] = shifted  # type: ignore[assignment]
    for key in _keeping_layout(statements, unit_keys, reuse):
        del reuse[key]
        extents.pop(key, None)
    blanked: list[tuple[int, int]] = []  # (first, last) lines of reused units
    for index, stmt in enumerate(statements):
        if stmt.facts.unit and unit_keys[index] in reuse:
            blanked.append((stmt.first, stmt.last))
    kept = [stmt for index, stmt in enumerate(statements)
            if not (stmt.facts.unit and unit_keys[index] in reuse)]
    if _indent_unit_of(kept) != unit_indent:
        return "indentation unit differs in the reduced document"
    blank = _blank_after(previous, text, new_index, edits)
    reduced = _reduced_document(_Blanker(text, new_index, blank).blank(blanked), new_index, document.path,
                                document.version)
    known = _recovered_from(reduced.text, kept) if any(stmt.broken for stmt in kept) else None
    if known is not None:  # the recovering parse of the whole reduced text, without running it
        reduced.__dict__["recovered"] = known
    recorder = _RecordingWorkspace(workspace, budget) if workspace is not None else None
    result = check(reduced, settings, root=root, workspace=recorder, codes=codes)
    if known is None and reduced.recovered.error is not None and not _read_as_expected(reduced, kept):
        return "reduced document is not read as the statements"
    if any(not note.startswith("syntax error") for note in result.notes):
        return "a rule failed"  # a failing rule loses all its findings: only a full run says which
    blank_ranges = [(new_index.line_starts[f],
                     new_index.line_starts[l + 1] if l + 1 < new_index.line_count else len(text))
                    for f, l in blanked]
    fresh = result.violations
    for violation in fresh:
        if _touches(violation, blank_ranges):
            return "a fresh finding touches a reused unit"
    if _names_hidden_by_blanking(fresh, statements, unit_keys, reuse, new_index, len(text)):
        return "a fix adds a name that only reused code uses"
    # Group fresh findings by component; findings outside units belong to the context run.
    starts = [(s.first, i) for i, s in enumerate(statements)]
    findings: dict[str, list[Violation]] = {key: list(v) for key, v in reuse.items()}
    for key in unit_keys.values():
        findings.setdefault(key, [])
    module_level: list[Violation] = []
    for violation in fresh:
        owner = _owner(statements, starts, new_index.line_of(violation.start))
        if owner is not None and statements[owner].facts.unit:
            findings[unit_keys[owner]].append(violation)
        else:
            module_level.append(violation)
    violations = [v for group in findings.values() for v in group] + module_level
    violations.sort(key=lambda v: (v.start, v.code, v.end))
    cacheable = {k: v for k, v in findings.items() if k not in near_broken}
    for key in _provisional(statements, unit_keys, recorder):
        cacheable.pop(key, None)
    state = _make_state(text, new_index, statements, context_key, cacheable, unit_keys,
                        (previous.reaching, set(reuse)))
    state.extents.update((key, extent) for key, extent in extents.items() if key in cacheable)
    state.numbers.update((key, previous.numbers[key]) for key in reuse if key in previous.numbers and key in cacheable)
    state.blank = blank
    return Update(violations, list(result.notes), state, len(reuse), len(members) - len(reuse))


#: A number in a finding's text: not part of a larger one (``100,000``, ``1.5``).
_NUMBER = re.compile(r"(?<![\w,.])\d+(?![\w,]|\.\d)")  # not in ``job_250`` either


def _first_moved_line(previous: _State, edits: list[Edit], new_line_count: int) -> int | None:
    """The first line (1-based, of ``previous.text``) whose number the edits may
    change: the line of the first edit that adds or removes a line break; None
    when no line moves (most keystrokes)."""
    first = None
    for edit in edits:
        if _breaks_added(previous.text, edit):
            line = previous.index.line_of(edit.start) + 1
            first = line if first is None else min(first, line)
    if first is None and new_line_count != previous.index.line_count and edits:
        # A break split or joined at an edit's edge ("\r" + "\n"): from the first edit on.
        first = previous.index.line_of(min(edit.start for edit in edits)) + 1
    return first


def _names_a_moved_line(previous: _State, key: str, first_moved_line: int) -> bool:
    """The engine's check that reused findings carry no positions in their text:
    True when a message, fix title or text value of the component's findings
    holds a number that is the line (1-based) of one of its units or of a
    context statement (the only code its findings can name), and that line may
    have moved (it is ``first_moved_line`` or later).  Such a component is
    analysed again instead of reused; a count that happens to equal such a line
    costs only that re-analysis."""
    numbers = previous.numbers.get(key)
    if numbers is None:  # kept in the next state while the component is reused
        numbers = previous.numbers[key] = _numbers_in(previous.findings.get(key, ()))
    numbers = [number for number in numbers if number >= first_moved_line]
    if not numbers:
        return False
    spans = previous.__dict__.get("_spans")
    if spans is None:  # (first, last) lines of the context, and of each component's units
        spans = previous.__dict__["_spans"] = {}
        for position, stmt in enumerate(previous.statements):
            owner = previous.unit_keys.get(position, "") if stmt.facts.unit else ""
            spans.setdefault(owner, []).append((stmt.first + 1, stmt.last + 1))
    own = [*spans.get("", ()), *spans.get(key, ())]
    return any(first <= number <= last for number in numbers for first, last in own)


def _numbers_in(violations) -> frozenset[int]:
    numbers: set[int] = set()
    for violation in violations:
        texts = [violation.message, *(v for v in violation.data.values() if isinstance(v, str))]
        if violation.fix is not None:
            texts.append(violation.fix.title)
        for text in texts:
            numbers.update(int(found) for found in _NUMBER.findall(text))
    return frozenset(numbers)


def _names_hidden_by_blanking(fresh: list[Violation], statements: list[_Statement], unit_keys: dict[int, str],
                              reuse, index: LineIndex, length: int) -> bool:
    """True when a fresh fix that edits outside its own component (a module-level
    ``logger``, an import) names something only the blanked units use: the rule
    chose that name as free in the reduced document, where the whole file has it
    taken (``logger`` then becomes ``_logger``).  ``reuse``: the keys of the
    blanked components."""
    hidden: set[str] = set()
    visible: set[str] = set()
    for i, stmt in enumerate(statements):
        names = stmt.facts.refs | stmt.facts.defines | stmt.facts.binds
        if unit_keys.get(i) in reuse:
            hidden |= names
        else:
            visible |= names
    hidden -= visible
    if not hidden:
        return False
    starts = index.line_starts
    spans: dict[str, list[tuple[int, int]]] = {}
    for i, key in unit_keys.items():
        stmt = statements[i]
        spans.setdefault(key, []).append(
            (starts[stmt.first], starts[stmt.last + 1] if stmt.last + 1 < len(starts) else length))
    owners = [(s.first, i) for i, s in enumerate(statements)]
    for violation in fresh:
        if violation.fix is None:
            continue
        owner = _owner(statements, owners, index.line_of(violation.start))
        own = spans.get(unit_keys.get(owner, ""), []) if owner is not None else []
        for edit in violation.fix.edits:
            if not any(begin <= edit.start and edit.end <= end for begin, end in own) and \
                    hidden.intersection(_WORDS.findall(edit.new_text)):
                return True
    return False


def _always_read(statements: list[_Statement], unit_keys: dict[int, str]) -> set[str]:
    """Keys of the components every reduced document keeps: those with a unit that
    binds a module-level name besides its own definition (an import in it, a
    ``global``).  What any fix may do with the module's names depends on them
    without a link in the text: ``global logging; del logging`` in one function
    makes the module ``logger`` of a task's fix untrustworthy although neither
    names the other."""
    return {unit_keys[i] for i in unit_keys if statements[i].facts.module_names}


def _reread(previous: _State, text: str, index: LineIndex, edits: list[Edit]) -> "list[_Statement] | str":
    """The top-level statements of the new text: ``previous``'s moved past the
    edits, and those the edits touch read again (``_read_statements``: with the
    recovering parser when they do not parse).  A reason (str) when that fails."""
    old_index = previous.index
    old_statements = previous.statements
    regions: list[list[int]] = []  # old lines [first, last] holding edits, with the lines they add
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        a, b = old_index.line_of(edit.start), old_index.line_of(edit.end)
        added = _breaks_added(previous.text, edit)
        if regions and a <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], b)
            regions[-1][2] += added
        else:
            regions.append([a, b, added])
    out: list[_Statement] = []
    shift = 0  # new line - old line, for old lines before the region being read
    position = 0
    count = len(old_statements)
    number = 0
    while number < len(regions):
        a, b, added = regions[number]
        number += 1
        while position < count and old_statements[position].last < a:
            stmt = old_statements[position]
            out.append(_moved_statement(stmt, shift))
            position += 1
        while position < count and old_statements[position].first <= b:
            a, b = min(a, old_statements[position].first), max(b, old_statements[position].last)
            position += 1
        # Statements sharing a line with the grown range (``x = 1; y = 2``) join it.
        while out and out[-1].last >= a + shift:
            a = min(a, out.pop().first - shift)
        # After a broken statement the recovering parser reads on from it: a broken
        # statement directly before the changed lines is read again with them.
        while out and out[-1].broken:
            a = min(a, out.pop().first - shift)
        # Regions the grown range reaches are read with it.
        while number < len(regions) and regions[number][0] <= b + 1:
            b = max(b, regions[number][1])
            added += regions[number][2]
            number += 1
            while position < count and old_statements[position].first <= b:
                b = max(b, old_statements[position].last)
                position += 1
        next_region = regions[number][0] if number < len(regions) else None
        kept_after: list[_Statement] = []
        while position < count and (next_region is None or old_statements[position].last < next_region):
            kept_after.append(old_statements[position])
            position += 1
        while kept_after and kept_after[0].first <= b:
            b = max(b, kept_after.pop(0).last)
        new_a, new_b = a + shift, b + shift + added
        if new_b < new_a - 1:
            return "edit spans lines oddly"
        read = _read_statements(text, index, new_a, new_b, out, kept_after, shift + added)
        if read is None:
            return "changed lines cannot be read on their own"
        middle, last_read = read
        if out and any(s.text.lstrip(BOM).startswith("from __future__") for s in middle):
            return "__future__ import changed"  # only legal first: a part cannot tell
        out.extend(middle)
        shift += added
        if last_read >= index.line_count - 1:
            return out  # read on to the end of the file: nothing after it is left
        out.extend(_moved_statement(s, shift) for s in kept_after)
    out.extend(_moved_statement(s, shift) for s in old_statements[position:])
    if shift != index.line_count - old_index.line_count:
        return "line breaks moved oddly"  # an edit joined or split a CR LF: count from scratch
    return out


def _moved_statement(stmt: _Statement, shift: int) -> _Statement:
    """``stmt`` ``shift`` lines further (a copy without ``dataclasses.replace``,
    which runs ``__init__``: every statement after an edit moves per keystroke)."""
    if not shift:
        return stmt
    copy = object.__new__(_Statement)
    copy.__dict__.update(stmt.__dict__)
    copy.first, copy.last = stmt.first + shift, stmt.last + shift
    return copy


def _line_breaks(text: str) -> int:
    return len(_NEWLINE_RE.findall(text))


def _breaks_added(text: str, edit: Edit) -> int:
    """How many line breaks ``edit`` adds to ``text`` (negative: removes), a CR or
    LF next to it included: text put between a CR and an LF splits one break in
    two, and removing what separates them joins two in one."""
    before = text[edit.start - 1:edit.start] if edit.start else ""
    after = text[edit.end:edit.end + 1]
    return _line_breaks(before + edit.new_text + after) - _line_breaks(before + text[edit.start:edit.end] + after)


class _OffsetMap:
    """Old offset -> new offset across non-overlapping applied edits; None for an
    offset inside or at either end of an edit (where it went is ambiguous)."""

    def __init__(self, edits: list[Edit]) -> None:
        self.edits = sorted(edits, key=lambda e: (e.start, e.end))
        self.starts = [e.start for e in self.edits]
        self.shifts = [0]
        for edit in self.edits:
            self.shifts.append(self.shifts[-1] + len(edit.new_text) - (edit.end - edit.start))
        self.first = self.edits[0].start if self.edits else 0
        self.last = max((e.end for e in self.edits), default=-1)

    def __call__(self, offset: int) -> int | None:
        if offset < self.first:  # before every edit (most offsets, with one edit)
            return offset
        if offset > self.last:
            return offset + self.shifts[-1]
        position = bisect.bisect_right(self.starts, offset)  # edits starting at or before offset
        if position and offset <= self.edits[position - 1].end:
            return None
        return offset + self.shifts[position]


def _moved_violation(violation: Violation, moved: _OffsetMap) -> Violation | None:
    """``violation`` with its offsets and its fix's moved past the edits; None when
    one lies inside or at an edge of an edit."""
    start, end = moved(violation.start), moved(violation.end)
    if start is None or end is None:
        return None
    fix = violation.fix
    if fix is not None:
        new_edits = []
        for edit in fix.edits:
            a, b = moved(edit.start), moved(edit.end)
            if a is None or b is None:
                return None
            new_edits.append(edit if (a, b) == (edit.start, edit.end) else Edit(a, b, edit.new_text))
        if any(new is not old for new, old in zip(new_edits, fix.edits)):
            fix = replace(fix, edits=tuple(new_edits))  # other files' edits do not move
    if start == violation.start and end == violation.end and fix is violation.fix:
        return violation
    # A copy without dataclasses.replace (it re-runs __init__): thousands of findings
    # move on every keystroke in a task-dense file.
    copy = object.__new__(Violation)
    copy.__dict__.update(violation.__dict__)
    copy.start, copy.end, copy.fix = start, end, fix
    return copy


def _shifted_violation(violation: Violation, delta: int) -> Violation:
    """``violation`` with its offsets and its fix's moved by ``delta`` (it lies
    after every edit: ``_moved_violation`` without a look-up per offset)."""
    copy = object.__new__(Violation)
    copy.__dict__.update(violation.__dict__)
    copy.start, copy.end = violation.start + delta, violation.end + delta
    fix = violation.fix
    if fix is not None:
        copy.fix = Fix(fix.title, tuple(Edit(e.start + delta, e.end + delta, e.new_text) for e in fix.edits),
                       fix.applicability, fix.other_files)  # other files' edits do not move
    return copy


def _blank_after(previous: _State, text: str, index: LineIndex, edits: list[Edit]) -> str:
    """``_blank_lines`` of all of ``text`` (``previous.text`` with ``edits``
    applied): blanking is character by character (line breaks kept, the rest
    spaces), so it is ``previous``'s blanked text with the edits applied,
    blanked, instead of the whole text blanked again.  From scratch when
    ``previous`` has none or an edit is at the start (where a BOM is kept)."""
    if previous.blank is None or any(e.start == 0 for e in edits):
        return _blank_lines(text, index, [(0, index.line_count - 1)])
    blanked = [Edit(e.start, e.end, _NOT_NEWLINE.sub(_spaces, e.new_text)) for e in edits]
    return apply_edits(previous.blank, blanked)


class _RecordingWorkspace:
    """Passes questions to the real workspace and notes the lines of the functions
    and calls whose answer was None while jedi was still busy ("unknown": the
    time budget ran out), so the findings of their components are not cached."""

    def __init__(self, workspace, budget: "_Budget | None" = None) -> None:
        self._workspace = workspace
        self.unknown_lines: list[int] = []
        self.budget = budget or _Budget(getattr(workspace, "time_budget", 0.4))

    def __getattr__(self, name):
        return getattr(self._workspace, name)

    def _ask(self, question, *args):
        """Ask, waiting for jedi only while this analysis's budget lasts: once the
        questions of one analysis have waited ``time_budget`` seconds in total,
        later ones answer from the cache or "unknown" at once (jedi keeps working
        in the background and the next analysis picks the answers up)."""
        if self.budget.left() <= 0 and hasattr(self._workspace, "time_budget"):
            saved = self._workspace.time_budget
            self._workspace.time_budget = 0
            try:
                return question(*args)
            finally:
                self._workspace.time_budget = saved
        started = time.perf_counter()
        try:
            return question(*args)
        finally:
            self.budget.spend(time.perf_counter() - started)

    def _pending(self) -> bool:
        """True when jedi is still working on some question: a None just returned
        may then mean "not known yet" rather than a final answer."""
        running = getattr(self._workspace, "_running", None)
        return running is None or bool(running)

    def callers(self, path, function, tree=None):
        if tree is None:
            answer = self._ask(self._workspace.callers, path, function)
        else:
            answer = self._ask(lambda p, f: self._workspace.callers(p, f, tree=tree), path, function)
        if answer is None and self._pending():
            self.unknown_lines.append(getattr(function, "lineno", 1) - 1)
        return answer

    def resolve_call(self, path, call):
        answer = self._ask(self._workspace.resolve_call, path, call)
        if answer is None and self._pending():
            self.unknown_lines.append(getattr(call, "lineno", 1) - 1)
        return answer


class _Budget:
    """Seconds one analysis may spend waiting for jedi, over all its questions."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def left(self) -> float:
        return self.seconds

    def spend(self, seconds: float) -> None:
        self.seconds -= seconds


def _provisional(statements: list[_Statement], unit_keys: dict[int, str], recorder) -> set[str]:
    if recorder is None or not recorder.unknown_lines:
        return set()
    starts = [(s.first, i) for i, s in enumerate(statements)]
    out: set[str] = set()
    for line in recorder.unknown_lines:
        owner = _owner(statements, starts, line)
        if owner is not None and owner in unit_keys:
            out.add(unit_keys[owner])
        else:
            out.update(unit_keys.values())  # not attributable: trust nothing
    return out


class _LazyContext(RuleContext):
    """The full document's rule context (its model is built only when a hover or
    action asks for it)."""


# -- helpers -------------------------------------------------------------------------
def _environment_key(settings: Settings, path, root, workspace) -> str:
    parts = [repr(settings), str(path), str(root)]
    if workspace is not None:
        # A saved or closed file bumps the generation (other modules' callers and
        # helpers may have changed): every component is then recomputed.  Findings
        # made while jedi had no answer yet are never cached (see _RecordingWorkspace).
        generation = getattr(workspace, "_generation", None)
        if generation is None:
            parts.append(f"opaque-workspace-{id(object())}")
        else:
            parts.append(f"{id(workspace)}:{generation}")
            try:
                parts.append(repr(sorted(workspace.scheduled_task_names(path))))
            except Exception:
                parts.append(f"scheduled-unknown-{id(object())}")
    return _hash(*parts)


def _split_statements(text: str, index: LineIndex, piece_lines: int) -> list[_Statement] | None:
    """The top-level statements of ``text``, parsed a piece of about ``piece_lines``
    lines at a time (cut before a line that starts at column 0), so the whole
    file's syntax tree never exists at once.  Pieces that each parse on their own
    parse together into the same statements; a piece that does not parse grows
    until it does.  None when the file does not parse."""
    starts = index.line_starts
    count = index.line_count
    if "__future__" in text[starts[min(count - 1, piece_lines)]:]:
        return None  # only legal at the top of the whole file: a piece cannot tell
    statements: list[_Statement] = []
    line = 0
    while line < count:
        end_line = min(line + piece_lines, count)
        while True:
            while end_line < count and text[starts[end_line]:starts[end_line] + 1] in ("", " ", "\t", "#", ")",
                                                                                        "]", "}", "\f", "\r", "\n"):
                end_line += 1
            begin = starts[line]
            end = starts[end_line] if end_line < count else len(text)
            piece = text[begin:end]
            try:
                tree = parse_module(piece.lstrip(BOM) if begin == 0 else piece)
                break
            except (SyntaxError, ValueError):
                if end_line >= count:
                    return None
                end_line = min(count, end_line + piece_lines)
            except MemoryError:
                return None
        for stmt in tree.body:
            first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))]) - 1 + line
            last = (stmt.end_lineno or stmt.lineno) - 1 + line
            statements.append(_Statement(first, last, _lines_text(text, starts, first, last), statement_facts(stmt)))
        del tree
        line = end_line
    return statements


_BROKEN_FACTS = StatementFacts(False, frozenset(), frozenset())


def _first_line(stmt: ast.stmt) -> int:
    """1-based first line of a statement, decorators included."""
    return min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])


def _read_statements(text: str, index: LineIndex, first: int, last: int, kept_before: list[_Statement],
                     kept_after: list[_Statement], line_delta: int) -> tuple[list[_Statement], int] | None:
    """The top-level statements of the new lines ``first``..``last`` (0-based).

    When those lines do not parse (the user is typing), they are read as a
    from-scratch analysis reads the whole file, with the recovering parser, and
    the following statements are taken in (removed from ``kept_after``, whose
    lines are old ones: ``line_delta`` moves them) until the parser is back in
    step: the last statement taken in comes out as a statement of its own and
    nothing after it is broken.  From there on the file is read as before.  The
    lines read start where the parser starts afresh: the first line that is
    not blank or a comment starts at column 0 (an indented line continues the
    statement before it, which is then taken in from ``kept_before``).  None
    when that cannot be established (a class broken inside, a statement sharing
    a line with broken text); else the statements and the last line read."""
    starts = index.line_starts
    count = index.line_count

    def lines(begin_line: int, end_line: int) -> tuple[int, str]:
        begin = starts[begin_line] if begin_line < count else len(text)
        end = starts[end_line + 1] if end_line + 1 < count else len(text)
        return begin, text[begin:end]

    begin, segment = lines(first, last)
    try:
        tree = parse_module(segment.lstrip(BOM) if begin == 0 else segment)
        return [_statement_of(text, starts, stmt, first) for stmt in tree.body], last
    except (SyntaxError, ValueError):
        pass
    except MemoryError:
        return None
    while kept_before and (kept_before[-1].broken or not _starts_at_column_0(text, starts, first, last)):
        first = kept_before.pop().first
    for _ in range(64):
        closing = None
        while kept_after:
            taken = kept_after.pop(0)
            last = taken.last + line_delta
            if not taken.broken:
                closing = taken
                break
        if closing is None:
            last = count - 1
        begin, segment = lines(first, last)
        recovered = recover_module(segment)
        if closing is not None:
            relative_first = closing.first + line_delta - first + 1
            in_step = any(_first_line(stmt) == relative_first and stmt.end_lineno == last - first + 1
                          for stmt in recovered.tree.body) and \
                all(broken_last < relative_first for _, broken_last in recovered.broken_ranges)
            if not in_step:
                continue
        out = [_statement_of(text, starts, stmt, first) for stmt in recovered.tree.body]
        out.extend(_broken_statements(text, starts, recovered.broken_ranges, first))
        out.sort(key=lambda stmt: (stmt.first, stmt.last))
        if any(earlier.last >= later.first for earlier, later in zip(out, out[1:])):
            return None
        return out, last
    return None


def _starts_at_column_0(text: str, starts: list[int], first: int, last: int) -> bool:
    """True when the first line of ``first``..``last`` that holds code starts at column 0."""
    for line in range(first, min(last, len(starts) - 1) + 1):
        end = starts[line + 1] if line + 1 < len(starts) else len(text)
        content = text[starts[line]:end].lstrip(BOM if line == 0 else "")
        stripped = content.strip()
        if stripped and not stripped.startswith("#"):
            return not content[:1].isspace()
    return True


def _statement_of(text: str, starts: list[int], stmt: ast.stmt, first_line: int) -> _Statement:
    first = _first_line(stmt) - 1 + first_line
    last = (stmt.end_lineno or stmt.lineno) - 1 + first_line
    return _Statement(first, last, _lines_text(text, starts, first, last), statement_facts(stmt))


def _broken_statements(text: str, starts: list[int], ranges: list[tuple[int, int]], first_line: int
                       ) -> list[_Statement]:
    """Broken statements from the recovering parser's broken ranges (1-based lines,
    counted from 0-based line ``first_line``): overlapping ranges joined, each
    range kept as a piece (the count of broken statements is the count of pieces)."""
    out = []
    for merged_first, merged_last in _merged(ranges):
        pieces = tuple((a - merged_first, b - merged_first) for a, b in ranges
                       if merged_first <= a and b <= merged_last)
        first, last = merged_first - 1 + first_line, merged_last - 1 + first_line
        out.append(_Statement(first, last, _lines_text(text, starts, first, last), _BROKEN_FACTS, broken=True,
                              pieces=pieces))
    return out


def _recovered_from(text: str, kept: list[_Statement]):
    """What ``document.recover_module(text)`` gives for a reduced text made of
    ``kept`` (the other units blanked), built from the statements already known
    instead of a recovering parse of the whole text: each statement that parses
    is parsed on its own lines (as ``recover_module`` parses each piece), the
    broken ones keep their pieces.  None when that shortcut does not apply."""
    from .document import _NESTING_ERRORS, RecoveredModule, _describe, _parse_segment, _without_deep_statements
    from .document import split_lines

    source = text[1:] if text.startswith(BOM) else text
    try:
        parse_module(source)
        return None
    except (SyntaxError, ValueError) as exc:
        message = _describe(exc)
    except Exception:  # too deep, out of memory: the whole-text path knows what to do
        return None
    if any(marker in message for marker in _NESTING_ERRORS):
        return None
    lines = split_lines(source)
    body: list[ast.stmt] = []
    broken: list[tuple[int, int]] = []
    for stmt in kept:
        if stmt.broken:
            if not stmt.pieces:
                return None
            broken.extend((stmt.first + 1 + a, stmt.first + 1 + b) for a, b in stmt.pieces)
            continue
        line = lines[stmt.first] if stmt.first < len(lines) else ""
        indent = len(line) - len(line.lstrip(" \t"))
        parsed = _parse_segment(lines, stmt.first + 1, stmt.last + 1, indent)
        if parsed is None:
            return None
        body.extend(parsed)
    return _without_deep_statements(RecoveredModule(ast.Module(body=body, type_ignores=[]), broken, message))


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Line ranges with the overlapping ones joined (the recovering parser reports
    several broken pieces on one line)."""
    out: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def _hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _lines_text(text: str, starts: list[int], first: int, last: int) -> str:
    begin = starts[first]
    end = starts[last + 1] if last + 1 < len(starts) else len(text)
    return text[begin:end]


def state_of(document: SourceDocument, violations: list[Violation], notes: list[str], context_extra: str,
             recorder=None) -> _State | None:
    """The reuse engine's state of a from-scratch analysis of ``document`` (its
    findings grouped by component), for :func:`reanalyse` to start from; None
    when nothing can be reused from it (a file-level noqa, a failed rule)."""
    if _FILE_NOQA.search(document.text):
        return None
    if any(not note.startswith("syntax error") for note in notes):
        return None  # a rule failed on this text: its findings elsewhere are unknown
    text, index = document.text, document.index
    if document.recovered.error is not None and not document.recovered.broken_ranges:
        return None  # valid but not analysed in full (nested too deeply)
    statements = [_statement_of(text, index.line_starts, stmt, 0) for stmt in document.tree.body]
    statements.extend(_broken_statements(text, index.line_starts, document.recovered.broken_ranges, 0))
    statements.sort(key=lambda stmt: (stmt.first, stmt.last))
    if any(earlier.last >= later.first for earlier, later in zip(statements, statements[1:])):
        return None  # a class broken inside, or statements sharing a line with broken text
    context_key = _context_key(context_extra, _indent_unit_of(statements), document.newline, statements)
    unit_keys = _component_keys(statements, context_key)
    near_broken = _next_to_broken(statements, unit_keys)
    findings: dict[str, list[Violation]] = {key: [] for key in unit_keys.values() if key not in near_broken}
    starts = [(s.first, i) for i, s in enumerate(statements)]
    for violation in violations:
        owner = _owner(statements, starts, index.line_of(violation.start))
        if owner is not None and statements[owner].facts.unit and unit_keys[owner] in findings:
            findings[unit_keys[owner]].append(violation)
    for key in _provisional(statements, unit_keys, recorder):
        findings.pop(key, None)
    return _make_state(text, index, statements, context_key, findings, unit_keys)


def _make_state(text: str, index: LineIndex, statements: list[_Statement], context_key: str,
                findings: dict[str, list[Violation]], unit_keys: dict[int, str],
                known: tuple[frozenset[str], set[str]] = (frozenset(), set())) -> _State:
    """A state, with the components whose findings reach outside their own lines.
    ``known``: (reaching keys, keys whose findings were reused, not recomputed)."""
    state = _State(text, index, statements, context_key, findings, unit_keys, _names_key(statements))
    spans: dict[str, list[tuple[int, int]]] = {}
    starts = index.line_starts
    for i, key in unit_keys.items():
        stmt = statements[i]
        spans.setdefault(key, []).append(
            (starts[stmt.first], starts[stmt.last + 1] if stmt.last + 1 < len(starts) else len(text)))
    reaching = {key for key in known[1] if key in known[0]}
    for key, found in findings.items():
        if key in known[1]:
            continue  # moved with the edits: as reaching as before
        own = spans.get(key, [])
        for violation in found:
            if violation.fix is not None and any(not any(b <= e.start and e.end <= f for b, f in own)
                                                 for e in violation.fix.edits):
                reaching.add(key)
                break
    state.reaching = frozenset(reaching)
    return state


def _names_key(statements: list[_Statement]) -> str:
    """Digest of the names every (readable) statement binds or uses: a fix that adds
    a module-level name (``logger``, else ``_logger``...) picks it among them."""
    names: set[str] = set()
    for stmt in statements:
        names |= stmt.facts.refs
        names |= stmt.facts.defines
        names |= stmt.facts.binds
    return _hash(*sorted(names))


def _context_key(context_extra: str, unit_indent: str, newline: str, statements: list[_Statement]) -> str:
    """The hash of what every component's findings depend on besides its own text:
    the environment, the indentation unit, the line ending and the context
    statements (broken text is no statement of the analysed module), whether
    the file parses (rules may read it: LIME401 and LIME403 offer no fix in a
    file that does not), where the module docstring and a new import go
    (``_leading_layout``), and what units bind at module level
    (``StatementFacts.module_effects``: a reused fix may use that name)."""
    parses = "parses" if not any(s.broken for s in statements) else "broken"
    return _hash("context", context_extra, unit_indent, newline, parses, repr(_leading_layout(statements)[0]),
                 *(s.text for s in statements if not s.facts.unit and not s.broken),
                 "units' module bindings", *(effect for s in statements for effect in s.facts.module_effects))


def _leading_layout(statements: list[_Statement], blanked: "set[int] | frozenset[int]" = frozenset()
                    ) -> tuple[tuple[int | None, int | None], int]:
    """((position of the module docstring, position of the statement a new import
    goes after), position where the leading import section ends) among the
    statements the syntax tree holds once the units at ``blanked`` positions are
    blank lines.  Both depend on which statements come first, not on their
    text: a blanked helper between two imports moves where a fix puts
    ``import logging`` (``edits.import_section``), a blanked function above a
    string makes it the docstring."""
    present = [i for i, stmt in enumerate(statements) if i not in blanked and not stmt.broken]
    anchor, end = import_section([statements[i].facts.kind for i in present])
    docstring = present[0] if present and statements[present[0]].facts.kind == "string" else None
    return (docstring, None if anchor is None else present[anchor]), (present[end] if end < len(present)
                                                                       else len(statements))


def _keeping_layout(statements: list[_Statement], unit_keys: dict[int, str], reuse: dict) -> list[str]:
    """The keys to drop from ``reuse`` (component key -> reused findings) so that
    blanking the rest keeps the module docstring and the place of a new import
    where the whole text has them (``_leading_layout``): the components with a
    blanked unit before the end of the reduced text's import section."""
    whole = _leading_layout(statements)[0]
    dropped: list[str] = []
    while True:
        blanked = {i for i, key in unit_keys.items() if key in reuse and key not in dropped}
        layout, end = _leading_layout(statements, blanked)
        if layout == whole:
            return dropped
        # A difference needs a blanked unit the reduced scan skipped, before its end.
        dropped.extend({unit_keys[i] for i in blanked if i < end})


def _next_to_broken(statements: list[_Statement], unit_keys: dict[int, str]) -> set[str]:
    """Keys of the components with a unit directly before or after broken text:
    whether their fixes add a syntax error is judged on lines that include the
    broken text (``checker.adds_no_broken_statement_locally``), so their findings
    are neither reused nor kept while it is there."""
    out: set[str] = set()
    for i, stmt in enumerate(statements):
        if stmt.broken:
            for j in (i - 1, i + 1):
                if j in unit_keys:
                    out.add(unit_keys[j])
    return out


def _read_as_expected(reduced: SourceDocument, kept: list[_Statement]) -> bool:
    """True when the recovering parser reads the reduced document as exactly the
    kept statements: the same broken lines, every other statement in place."""
    recovered = reduced.recovered
    expected_broken = [(s.first, s.last) for s in kept if s.broken]
    if [(f - 1, l - 1) for f, l in _merged(recovered.broken_ranges)] != expected_broken:
        return False
    expected = [(s.first, s.last) for s in kept if not s.broken]
    got = [(_first_line(stmt) - 1, (stmt.end_lineno or stmt.lineno) - 1) for stmt in recovered.tree.body]
    return got == expected


def _components(statements: list[_Statement]) -> dict[int, list[int]]:
    """Group unit statements (by position) into components."""
    units = [i for i, s in enumerate(statements) if s.facts.unit]
    parent = {i: i for i in units}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    definers: dict[str, list[int]] = {}
    for i in units:
        for name in statements[i].facts.defines:
            definers.setdefault(name, []).append(i)
    for same in definers.values():
        for other in same[1:]:
            union(same[0], other)
    for i in units:
        for name in statements[i].facts.refs:
            for j in definers.get(name, ()):
                union(i, j)
    # Only relations some unit fetches link their users: no rule asks about another.
    fetched = {relation for i in units for relation in statements[i].facts.fetched}
    users: dict[str, int] = {}
    for i in units:
        for link in statements[i].facts.links & fetched:
            if link in users:
                union(users[link], i)
            else:
                users[link] = i
    groups: dict[int, list[int]] = {}
    for i in units:
        groups.setdefault(find(i), []).append(i)
    return groups


def _component_keys(statements: list[_Statement], context_key: str) -> dict[int, str]:
    """Unit statement position -> key of its component (context, member texts in
    order, and an ordinal for components whose members have identical texts)."""
    keys: dict[int, str] = {}
    seen: dict[str, int] = {}
    for members in _components(statements).values():
        key = _hash(context_key, *(statements[i].text for i in members))
        seen[key] = seen.get(key, 0) + 1
        key = f"{key}#{seen[key]}"
        for i in members:
            keys[i] = key
    return keys


def _owner(statements: list[_Statement], starts: list[tuple[int, int]], line: int) -> int | None:
    import bisect

    position = bisect.bisect_right(starts, (line, len(statements))) - 1
    if position >= 0 and statements[starts[position][1]].last >= line:
        return starts[position][1]
    return None


def _offsets(violation: Violation):
    yield violation.start
    yield violation.end
    if violation.fix is not None:
        for edit in violation.fix.edits:
            yield edit.start
            yield edit.end


def _touches(violation: Violation, ranges: list[tuple[int, int]]) -> bool:
    """True when an offset of the finding or its fix lies in one of ``ranges``
    (half-open (begin, end) pairs in increasing order, not overlapping)."""
    begins = _begins_of(ranges)
    for offset in _offsets(violation):
        position = bisect.bisect_right(begins, offset) - 1
        if position >= 0 and offset < ranges[position][1]:
            return True
    return False


_BEGINS: tuple = (None, [])


def _begins_of(ranges: list[tuple[int, int]]) -> list[int]:
    """The begin offsets of ``ranges``, computed once per list (one list serves
    every finding of an analysis: the scan stays O(findings x log ranges))."""
    global _BEGINS
    cached = _BEGINS  # one tuple: safe when two threads analyse at once
    if cached[0] is not ranges:
        cached = _BEGINS = (ranges, [begin for begin, _ in ranges])
    return cached[1]


class _Blanker:
    """``_blank_lines`` for many batches of one text: the blanked text is made once,
    and each batch's reduced text is cut from it and the real text (no regular
    expression over the whole file per batch)."""

    def __init__(self, text: str, index: LineIndex, everything: str | None = None) -> None:
        self.text, self.index = text, index
        self._all = everything  # the text with every line blanked, once made

    def blank(self, blanked: list[tuple[int, int]]) -> str:
        if not blanked:
            return self.text
        if self._all is None:
            self._all = _blank_lines(self.text, self.index, [(0, self.index.line_count - 1)])
        text, everything, starts = self.text, self._all, self.index.line_starts
        out: list[str] = []
        position = 0
        for first, last in blanked:
            begin = starts[first]
            end = starts[last + 1] if last + 1 < len(starts) else len(text)
            out.append(text[position:begin])
            out.append(everything[begin:end])
            position = end
        out.append(text[position:])
        return "".join(out)


def _reduced_document(text: str, index: LineIndex, path, version) -> SourceDocument:
    """A document of a reduced text (same line breaks as the text ``index`` was
    made for), sharing that index's line starts instead of scanning the text again."""
    document = SourceDocument(text, path, version)
    if set(vars(index)) == {"text", "line_starts", "_bom", "_ascii"} and len(text) == len(index.text):
        shared = LineIndex.__new__(LineIndex)
        shared.text, shared.line_starts = text, index.line_starts
        shared._bom, shared._ascii = index._bom, text.isascii()
        document.__dict__["index"] = shared
    return document


def _blank_lines(text: str, index: LineIndex, blanked: list[tuple[int, int]]) -> str:
    """``text`` with the given line ranges turned into spaces (line endings and a
    BOM kept), so every offset, line and column stays where it was."""
    if not blanked:
        return text
    out: list[str] = []
    position = 0
    starts = index.line_starts
    for first, last in blanked:
        begin = starts[first]
        end = starts[last + 1] if last + 1 < len(starts) else len(text)
        out.append(text[position:begin])
        chunk = text[begin:end]
        lead = BOM if begin == 0 and chunk.startswith(BOM) else ""
        out.append(lead + _NOT_NEWLINE.sub(_spaces, chunk[len(lead):]))
        position = end
    out.append(text[position:])
    return "".join(out)


def _spaces(match: re.Match) -> str:
    return " " * (match.end() - match.start())


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # invariant: a[:low] == b[:low]
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, prefix: int) -> int:
    """Length of the common suffix, not overlapping the common prefix."""
    low, high = 0, min(len(a), len(b)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:len(a) - low] == b[len(b) - middle:len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low
