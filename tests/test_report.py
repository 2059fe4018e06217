"""The budget report: its formats, the `report` command, and its after-fix round
trips checked by running the fixed example tasks against the fake Lime
application (tests/fakelime), within 20 %.

The runs use the same object counts as the report (scaled down to keep the
test fast): the report is computed with every count set to N and the fake
database / feed holds N rows.
"""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakelime import FakeLimeApplication, Option, load_task_module, seed
from lime_task_lint import report_cli
from lime_task_lint.budget import file_budgets
from lime_task_lint.report import render
from lime_task_lint.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "examples" / "limepkg_acme" / "tasks"
N = 2_000
BATCH = 50
SETTINGS = Settings(batch_size=BATCH, default_object_count=N,
                    object_counts={"company": N, "person": N, "contract": N, "deal": N}, target_version=(3, 11))
SCHEMA = {
    "contract": {"erp_id": "string", "name": "string"},
    "company": {"name": "string"},
    "deal": {"name": "string", "expired": "yesno", "dealstatus": Option("open", "lost")},
}
# The example imports its feed relatively (`from ..erp import ...`), which a module
# loaded from text cannot do: the runs import the same function from a stand-in module.
RELATIVE_IMPORT = "from ..erp import fetch_erp_contracts"
STAND_IN = "from erp_feed import fetch_erp_contracts"


# -- running against the fake app (a small wrapper; fakelime itself is unchanged) --------
def runnable(source: str) -> str:
    assert RELATIVE_IMPORT in source
    return source.replace(RELATIVE_IMPORT, STAND_IN)


def run_task(source: str, name: str, app, *args, feed=None, monkeypatch=None):
    module_feed = types.ModuleType("erp_feed")
    module_feed.fetch_erp_contracts = lambda: iter(feed or [])
    monkeypatch.setitem(sys.modules, "erp_feed", module_feed)
    module = load_task_module(runnable(source), f"{name}_module")
    app.recorder.reset()
    getattr(module, name)(app, *args)
    return app.recorder


def within(expected: int, measured: int, tolerance: float = 0.2) -> bool:
    return abs(expected - measured) <= tolerance * max(measured, 1)


@pytest.fixture(scope="module")
def contracts_report():
    text = (TASKS / "contracts.py").read_text(encoding="utf-8")
    fb = file_budgets(text, SETTINGS, path=str(TASKS / "contracts.py"), curve=False)
    assert fb.fixed_text and fb.fixed_text != text
    return text, fb, {b.name: b for b in fb.tasks}


def test_after_fix_round_trips_match_the_fake_app(contracts_report, monkeypatch):
    text, fb, budgets = contracts_report
    feed = [{"id": f"ERP-{i:05d}", "name": f"Contract {i}"} for i in range(N)]

    # import_contracts: every feed row is new.
    before = run_task(text, "import_contracts", FakeLimeApplication(SCHEMA), feed=feed, monkeypatch=monkeypatch)
    after = run_task(fb.fixed_text, "import_contracts", FakeLimeApplication(SCHEMA), feed=feed,
                     monkeypatch=monkeypatch)
    b = budgets["import_contracts"]
    assert (before.reads, before.commits) == (N, N)
    assert (b.reads, b.commits) == (N, N)  # the model's before figures are exact here
    assert after.round_trips == 1 + math.ceil(N / BATCH)
    print("ROUNDTRIPS", b.name, b.after.round_trips, after.round_trips)
    assert within(b.after.round_trips, after.round_trips), (b.after.round_trips, after.round_trips)
    assert within(b.after.commits, after.commits) and within(b.after.reads, after.reads)

    # close_expired_deals: N deals, a quarter expired.
    def deals():
        app = FakeLimeApplication(SCHEMA)
        seed(app, "deal", ({"name": f"Deal {i}", "expired": i % 4 == 0, "dealstatus": "open"} for i in range(N)))
        return app

    before = run_task(text, "close_expired_deals", deals(), monkeypatch=monkeypatch)
    after = run_task(fb.fixed_text, "close_expired_deals", deals(), monkeypatch=monkeypatch)
    b = budgets["close_expired_deals"]
    assert before.round_trips == b.round_trips == 2
    print("ROUNDTRIPS", b.name, b.after.round_trips, after.round_trips)
    assert within(b.after.round_trips, after.round_trips), (b.after.round_trips, after.round_trips)
    assert b.after.commits == math.ceil(N / BATCH) == after.commits

    # refresh_company_names: N company ids.
    def companies():
        app = FakeLimeApplication(SCHEMA)
        return app, seed(app, "company", ({"name": f" Company {i} "} for i in range(N)))

    app, ids = companies()
    before = run_task(text, "refresh_company_names", app, ids, monkeypatch=monkeypatch)
    app, ids = companies()
    after = run_task(fb.fixed_text, "refresh_company_names", app, ids, monkeypatch=monkeypatch)
    b = budgets["refresh_company_names"]
    assert before.round_trips == b.round_trips == 2 * N
    print("ROUNDTRIPS", b.name, b.after.round_trips, after.round_trips)
    assert within(b.after.round_trips, after.round_trips), (b.after.round_trips, after.round_trips)


def test_formats_show_every_task_before_and_after():
    files = []
    for path in sorted(TASKS.glob("*.py")):
        fb = file_budgets(path.read_text(encoding="utf-8"), SETTINGS, path=str(path), curve=True)
        if fb.tasks:
            files.append(fb)
    names = [b.name for f in files for b in f.tasks]
    assert len(names) == 18
    text = render(files, "text")
    markdown = render(files, "markdown")
    for name in names:
        assert f": {name}\n" in text
        assert f"| `{name}` (" in markdown
    assert text.count("after fixes:") == 18
    assert "2,000 reads × 5 ms + 2,000 commits × 25 ms" in text
    data = json.loads(render(files, "json"))
    tasks = {t["task"]: t for f in data["files"] for t in f["tasks"]}
    assert set(tasks) == set(names)
    ic = tasks["import_contracts"]
    assert (ic["reads"], ic["commits"], ic["round_trips"]) == (N, N, 2 * N)
    assert ic["after_fixes"]["commits"] == N // BATCH
    # Each of the N commits writes one contract: + N objects written x 2 ms.
    assert ic["objects_written"] == N
    assert ic["duration_s"] == pytest.approx((N * 5 + N * 25 + N * 2 + N * 0.05) / 1000)
    assert ic["top_contributors"][0]["line"] == 34
    assert len(ic["curve"]) == 17 and len(ic["after_fixes"]["curve"]) == 17
    assert "fixes_applied" in ic and ic["fixes_applied"]["LIME201"] >= 1


def test_report_command_writes_each_format(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "examples")
    assert report_cli.main(["limepkg_acme/tasks/deals.py", "--format", "json", "--no-workspace"]) == 0
    data = json.loads(capsys.readouterr().out)
    [file] = data["files"]
    assert [t["task"] for t in file["tasks"]] == ["sync_deals", "archive_deals"]
    assert file["tasks"][0]["external_calls"] == 500
    out = tmp_path / "sub" / "report.html"
    assert report_cli.main(["limepkg_acme/tasks", "--format", "html", "--output", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.count('class="task-row"') == 18
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    # A second run over an existing file replaces it.
    assert report_cli.main(["limepkg_acme/tasks/clean.py", "--format", "markdown", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# Task budget report")


def test_report_parser_plugs_into_a_cli():
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    report_cli.add_parser(sub)
    args = parser.parse_args(["report", "a.py", "--format", "markdown", "--output", "x.md"])
    assert (args.command, args.paths, args.format, args.output) == ("report", ["a.py"], "markdown", "x.md")
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--format", "pdf"])


def test_report_sub_command_formats_are_the_reports_and_check_does_not_import_the_budget_model():
    import subprocess
    import sys

    from lime_task_lint import report, report_cli

    assert report_cli.FORMATS == report.FORMATS
    code = "import sys, lime_task_lint.cli; print('lime_task_lint.budget' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
