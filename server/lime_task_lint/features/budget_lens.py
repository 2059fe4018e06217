"""Code lens above each task: its budget at the configured object counts,
"≈ N reads · M commits · X MB (Y% of 200 MB) · ~Zs"; clicking it opens the task
budget report (the client command ``limeTaskLint.showBudgetReport``, which asks
the server's ``lime-task-lint.budgetReport`` for the HTML).

Kept cheap: the figures come from the analysis' model (built once per
version, shared with the rules), without a workspace (no jedi on this path:
helpers imported from other files are not folded in; the report command does
that), without the after-fix figures and without the memory curve.  The
lenses are cached per document version and settings.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..analysis import Analysis
from ..budget import task_budgets
from ..extensions import Lens, lens_provider

SHOW_REPORT = "limeTaskLint.showBudgetReport"
_CACHE_SIZE = 32
_cache: OrderedDict[tuple, tuple[object, list[Lens]]] = OrderedDict()
_lock = threading.Lock()
#: How many times the figures were computed (tests check the cache with it).
computed = 0


@lens_provider
def budget_lenses(analysis: Analysis) -> list[Lens]:
    global computed
    key = (analysis.uri, analysis.version, len(analysis.document.text))
    with _lock:
        hit = _cache.get(key) if analysis.version is not None else None
        if hit is not None and hit[0] == analysis.settings:
            _cache.move_to_end(key)
            return list(hit[1])
    budgets = task_budgets(analysis.model, analysis.settings, document=analysis.document, workspace=None,
                           path=analysis.document.path)
    lenses = [Lens(b.start, b.end, b.lens_title(), SHOW_REPORT, [analysis.uri]) for b in budgets]
    computed += 1
    if analysis.version is not None:
        with _lock:
            _cache[key] = (analysis.settings, lenses)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return list(lenses)
