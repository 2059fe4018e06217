"""Fuzzing set-up: the corpus, the example budget and the ``slow`` switch.

* ``LIME_FUZZ_EXAMPLES=N`` raises the number of hypothesis examples per
  property (the default keeps the fixed-seed CI run to a couple of minutes);
* ``LIME_SLOW=1`` runs the tests marked ``@pytest.mark.slow`` (skipped otherwise).
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("LIME_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="long-running; set LIME_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords and str(item.fspath).startswith(os.path.dirname(__file__)):
            item.add_marker(skip)
