"""Code lens above each task: its budget at the configured object counts,
"≈ N reads · M commits · X MB (Y% of 200 MB) · ~Zs"; clicking it opens the task
budget report (the client command ``limeTaskLint.showBudgetReport``, which asks
the server's ``lime-task-lint.budgetReport`` for the HTML).

Kept cheap: the figures come from the model without a workspace (no jedi on
this path: helpers imported from other files are not folded in; the report
command does that), without the after-fix figures and without the memory curve.

The lenses follow the reuse engine (``incremental``): a task's budget depends
on the inputs of its component's key (its units' text, the context
statements, the settings, the workspace's generation), so each component's
lenses are cached under its key, relative to its units' starts.  After an edit
only the components without a cached entry are computed, on a document where
every other unit is blanked: a keystroke in one task of a 500-task file builds
the model of that task only, not of the whole file.  An analysis without
components (not made by an ``IncrementalAnalyser``, or one whose text the
engine keeps no state of) is computed from its whole model.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from ..analysis import Analysis
from ..budget import TaskBudget, task_budgets
from ..extensions import Lens, lens_provider
from ..framework import RuleContext
from ..settings import Settings

SHOW_REPORT = "limeTaskLint.showBudgetReport"
_DOCUMENTS = 32
#: Component entries kept per document, as a multiple of its last version's
#: components: a file that stops parsing and parses again finds its earlier keys.
_SPARE_ENTRIES = 2
#: A component's lenses: (its unit's position among the component's units, start
#: and end relative to that unit's start, title), in the order computed.
_Entry = tuple[tuple[int, int, int, str], ...]


@dataclass
class _DocumentLenses:
    """What is kept of one document: the lenses of each component of its recent
    versions, and the last lenses computed from a whole model (for a text
    without components) with the text and settings they are for."""

    by_component: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    whole: tuple[str, Settings, list[Lens]] | None = None

    def remember(self, keys: list[str], fresh: dict[str, _Entry]) -> None:
        """Keep ``fresh``; the entries of ``keys`` (this version's components) are the last to go."""
        self.by_component.update(fresh)
        for key in keys:
            if key in self.by_component:
                self.by_component.move_to_end(key)
        while len(self.by_component) > _SPARE_ENTRIES * max(len(keys), 32):
            self.by_component.popitem(last=False)


_cache: OrderedDict[str, _DocumentLenses] = OrderedDict()
_lock = threading.Lock()
#: How many times figures were computed, and for how many components (tests check the caches with them).
computed = 0
computed_components = 0


@lens_provider
def budget_lenses(analysis: Analysis) -> list[Lens]:
    global computed, computed_components
    text, settings = analysis.document.text, analysis.settings
    units = analysis.components.units() if analysis.components is not None else None
    with _lock:
        kept = _cache.get(analysis.uri)
        if kept is None:
            kept = _cache[analysis.uri] = _DocumentLenses()
            while len(_cache) > _DOCUMENTS:
                _cache.popitem(last=False)
        _cache.move_to_end(analysis.uri)
        if units is None and kept.whole is not None and kept.whole[0] == text and kept.whole[1] == settings:
            return list(kept.whole[2])
        known = {key: kept.by_component[key] for key, _, _ in units or () if key in kept.by_component}
    if units is not None:
        missing = {key for key, _, _ in units if key not in known}
        fresh = _entries(analysis, units, missing) if missing else {}
        if fresh is not None:
            computed += bool(missing)
            computed_components += len(fresh)
            lenses = _assembled(units, {**known, **fresh}, analysis.uri)
            with _lock:
                kept.remember([key for key, _, _ in units], fresh)
            return lenses
    # No components (or a task outside every unit): from the whole model.
    computed += 1
    lenses = _lenses(_budgets(analysis, analysis.model, analysis.document), analysis.uri)
    with _lock:
        kept.whole = (text, settings, lenses)
    return list(lenses)


def _budgets(analysis: Analysis, model, document) -> list[TaskBudget]:
    return task_budgets(model, analysis.settings, document=document, workspace=None, path=document.path)


def _lenses(budgets: list[TaskBudget], uri: str) -> list[Lens]:
    """The lenses in source order (the model lists a redefined task where its first definition was)."""
    return sorted((Lens(b.start, b.end, b.lens_title(), SHOW_REPORT, [uri]) for b in budgets),
                  key=lambda lens: lens.start)


def _entries(analysis: Analysis, units: list[tuple[str, int, int]], missing: set[str]) -> dict[str, _Entry] | None:
    """The entries of the components ``missing``, from a model of their units only
    (of the whole text when that is all of them or no reduced document reads as
    it should: then every component's entry).  None when a task lies outside
    every unit."""
    document = None
    if len(missing) < len({key for key, _, _ in units}):
        document = analysis.components.reduced(missing, analysis.document.path, analysis.version)
    if document is None:
        budgets = _budgets(analysis, analysis.model, analysis.document)
        missing = {key for key, _, _ in units}
    else:
        model = RuleContext(document, analysis.settings, analysis.workspace).model
        budgets = _budgets(analysis, model, document)
    starts = [start for _, start, _ in units]
    members: dict[str, list[int]] = {}
    for key, start, _ in units:
        members.setdefault(key, []).append(start)
    entries: dict[str, list[tuple[int, int, int, str]]] = {key: [] for key in missing}
    for budget in budgets:
        position = bisect.bisect_right(starts, budget.start) - 1
        if position < 0 or budget.start >= units[position][2]:
            return None
        if units[position][0] not in entries:
            continue  # a component the reduced document keeps for the others' sake
        key, start, _ = units[position]
        entries[key].append((members[key].index(start), budget.start - start, budget.end - start,
                             budget.lens_title()))
    return {key: tuple(found) for key, found in entries.items()}


def _assembled(units: list[tuple[str, int, int]], entries: dict[str, _Entry], uri: str) -> list[Lens]:
    members: dict[str, list[int]] = {}
    for key, start, _ in units:
        members.setdefault(key, []).append(start)
    lenses = [Lens(starts[ordinal] + start, starts[ordinal] + end, title, SHOW_REPORT, [uri])
              for key, starts in members.items() for ordinal, start, end, title in entries[key]]
    lenses.sort(key=lambda lens: lens.start)
    return lenses
