"""Every module in this package is one rule; importing them registers them.

Adding a rule means adding a module here (with its five-part docstring) and a
fixture file under ``tests/fixtures/rules/``: nothing else is edited.
"""

from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True
