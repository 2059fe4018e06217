"""Generated shapes of a loop calling a helper of another module (hypothesis):
whatever the helper's parameter order, defaults, result use and the caller's
call spelling, the project after ``fix_text(other_files=True)`` runs on the fake
Lime app like the original: same result, error and stored data; and when a
LIME203 fix was applied, reads fall to at most 2 + ceil(keys / 1,000).  When no
fix is applied, the finding says why, and both files are left unchanged.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from differential import Scenario, outcome
from lime_task_lint.fixer import fix_text
from lime_task_lint.settings import resolve_settings
from lime_task_lint.workspace import Workspace

EXAMPLES = int(os.environ.get("LIME_FUZZ_EXAMPLES", "40"))
FIXED_SEED = os.environ.get("LIME_FUZZ_RANDOM") != "1"
SCHEMA = {"person": {"email": "string", "name": "string"}}


@st.composite
def helper_and_caller(draw):
    key_first = draw(st.booleans())
    extra = draw(st.sampled_from(["", ', label="Åsa"', ", limit=3"]))
    params = "app, email" if key_first else "email, app"
    read = 'app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email)))'
    use = draw(st.sampled_from([
        f"    for person in {read}:\n        return person.properties.name.value\n    return None\n",
        f"    found = {read}\n    return [p.properties.name.value for p in found]\n",
        f"    return sorted(p.properties.name.value for p in {read})\n",
        f"    return len(list({read}))\n",
        f"    return bool({read}.count)\n",  # not only iterated: no fix
    ]))
    helper = (f'"""Helpers — Åsa."""\nfrom lime_filter import EqualsOperator, Filter\n\n\n'
              f"def lookup({params}{extra}):\n    \"\"\"Look the address up.\"\"\"\n{use}")
    keyword = draw(st.booleans())
    key = 'email=row["email"]' if keyword else 'row["email"]'
    call = f"lookup(app, {key})" if key_first else (f"lookup({key}, app)" if not keyword else f"lookup(app=app, {key})")
    guard = draw(st.booleans())
    body = ("        if not row[\"email\"]:\n            continue\n" if guard else "") + \
        f"        out.append({call})\n"
    caller = ('"""Tasks."""\nfrom lime_task import task\n\nfrom acme.helpers import lookup\n\n\n'
              "@task\ndef run(app, rows: list):\n    \"\"\"Run.\"\"\"\n    out = []\n"
              f"    for row in rows:\n{body}    return out\n")
    stored = draw(st.lists(st.integers(0, 60), min_size=0, max_size=40))
    wanted = draw(st.lists(st.integers(0, 80), min_size=1, max_size=60))
    blanks = draw(st.booleans())
    rows = [{"email": "" if blanks and i % 7 == 0 else f"p{n}@x.se"} for i, n in enumerate(wanted)]
    return helper, caller, [{"email": f"p{n}@x.se", "name": f"N{i}"} for i, n in enumerate(stored)], rows


def _run(caller: str, helper: str, stored, rows, page_size):
    scenario = Scenario("run", SCHEMA, {"person": stored}, args=(rows,), page_size=page_size,
                        modules={"acme": "", "acme.helpers": helper})
    return outcome(caller, "run", scenario)


@settings(derandomize=FIXED_SEED, max_examples=EXAMPLES, deadline=None, database=None)
@given(helper_and_caller())
def test_cross_module_helper_fix_keeps_behaviour(shape):
    helper, caller, stored, rows = shape
    with tempfile.TemporaryDirectory(prefix="proj å ") as folder:
        root = Path(folder)
        (root / "acme").mkdir()
        (root / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
        (root / "acme" / "__init__.py").write_text("", encoding="utf-8")
        (root / "acme" / "helpers.py").write_text(helper, encoding="utf-8")
        tasks = root / "acme" / "tasks.py"
        tasks.write_text(caller, encoding="utf-8")
        settings_, _, _ = resolve_settings(tasks)
        workspace = Workspace(root, time_budget=None)
        result = fix_text(caller, settings_, path=str(tasks), unsafe=True, workspace=workspace,
                          codes={"LIME203"}, other_files=True)
        workspace.close()
        helpers_path = str((root / "acme" / "helpers.py").resolve())
    fixed_helper = result.other_texts.get(helpers_path, helper)
    applied = result.applied.get("LIME203", 0)
    if not applied:
        assert result.text == caller and helpers_path not in result.other_texts
        assert any("no automatic fix" in v.message for v in result.remaining if v.code == "LIME203"), \
            [v.message for v in result.remaining]
        return
    assert result.text != caller and helpers_path in result.other_texts
    compile(fixed_helper, "helpers.py", "exec")
    for page_size in (None, 7):
        before = _run(caller, helper, stored, rows, page_size)
        after = _run(result.text, fixed_helper, stored, rows, page_size)
        assert (after.result, after.exception, after.data) == (before.result, before.exception, before.data), \
            (result.text, fixed_helper)
        if page_size is None:
            keys = {r["email"] for r in rows if r["email"]}
            assert after.reads <= 2 + math.ceil(max(len(keys), 1) / 1000), (after.reads, result.text)
