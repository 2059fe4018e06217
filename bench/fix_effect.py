"""The fix effect: database reads and commits of tasks before and after
``check --fix --unsafe-fixes``, measured by running them on the fake Lime app.

    .venv/bin/python bench/fix_effect.py            # the table (markdown) and the totals
    .venv/bin/python bench/fix_effect.py --json FILE

For each task of the example workspace (``examples/``) and of the rule fixtures
(``tests/fixtures/rules/``) that reads or commits per item, the whole file is
fixed with the project's fixer (every fix, unsafe ones included, the file's own
settings), and the original and the fixed task each run once on a fresh fake
application (``tests/fakelime``, eager ``get_all``) holding the same data: 2,000
feed rows (one in ten already stored), 1,000 companies, 1,200 contracts, 2,000
deals...  The recorder counts every read (``get``, ``get_all``, ``count``,
relation ``fetch``...) and every commit.  The table also says whether the
result and the stored data stayed the same (the output is not compared: the
logging rules' fixes, applied too, turn prints into log records on purpose).

Targets (issue 16): reads cut at least 10x in total; every loop that committed
per item commits at least 40x less.  The script exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "server"))

from differential import Scenario, outcome  # noqa: E402
from fakelime import Option  # noqa: E402
from fakelime.schema import BelongsTo  # noqa: E402

from lime_task_lint.fixer import fix_text  # noqa: E402
from lime_task_lint.settings import Settings, resolve_settings  # noqa: E402
from lime_task_lint.workspace import Workspace  # noqa: E402

FEED = 2_000
COMPANIES = 1_000
COWORKERS = 40
PERSONS = 800
CONTRACTS = 1_200
DEALS = 2_000
TICKETS = 1_200
#: The fake numbers stored rows from 1001 in seeding order: the ids of each limetype.
FIRST_ID = 1001

SCHEMA = {
    "company": {"name": "string"},
    "coworker": {"name": "string"},
    "person": {"name": "string", "email": "string", "company": BelongsTo("company")},
    "contract": {"erp_id": "string", "name": "string", "status": "string"},
    "deal": {"name": "string", "expired": "yesno", "dealstatus": Option("open", "lost"),
             "coworker": BelongsTo("coworker"), "responsible": BelongsTo("person"), "closed": "yesno"},
    "ticket": {"code": "string", "status": "string"},
    "settings": {"rate": "integer"},
}
COMPANY_IDS = list(range(FIRST_ID, FIRST_ID + COMPANIES))
COWORKER_IDS = list(range(COMPANY_IDS[-1] + 1, COMPANY_IDS[-1] + 1 + COWORKERS))
PERSON_IDS = list(range(COWORKER_IDS[-1] + 1, COWORKER_IDS[-1] + 1 + PERSONS))


def _rows() -> dict:
    """The stored data, in seeding order (companies first: their ids are COMPANY_IDS...)."""
    return {
        "company": [{"name": f" Company {i} "} for i in range(COMPANIES)],
        "coworker": [{"name": f"Coworker {i}"} for i in range(COWORKERS)],
        "person": [{"name": f"Person {i}", "email": f"p{i}@acme.se", "company": COMPANY_IDS[i % COMPANIES]}
                   for i in range(PERSONS)],
        # Every tenth feed row is already a contract, plus contracts the feed does not name.
        "contract": [{"erp_id": f"ERP-{i:05d}", "name": f"Contract {i}", "status": "active" if i % 3 else "ended"}
                     for i in [*range(0, FEED, 10), *range(90_000, 90_000 + CONTRACTS - FEED // 10)]],
        "deal": [{"name": f"Deal {i}", "expired": i % 4 == 0,
                  "coworker": None if i % 9 == 0 else COWORKER_IDS[i % COWORKERS],
                  "responsible": PERSON_IDS[i % PERSONS], "closed": i % 5 == 0} for i in range(DEALS)],
        "ticket": [{"code": f"T{i}", "status": "open" if i % 2 else "done"} for i in range(TICKETS)],
        "settings": [{"rate": 3}],
    }


def _feed() -> list[dict]:
    """ERP rows: every tenth id is already a contract; one in ten inactive; each names a company."""
    return [{"id": f"ERP-{i:05d}", "name": f"Contract {i}", "active": i % 10 != 0,
             "company_id": COMPANY_IDS[i % COMPANIES], "value": i % 7, "email": f"p{i % (2 * PERSONS)}@acme.se",
             "code": f"T{i}"} for i in range(FEED)]


#: The examples import their ERP feed relatively; the runs import it from this stand-in module.
ERP_IMPORT = "from ..erp import fetch_erp_contracts"
ERP_MODULE = ("def fetch_erp_contracts(page_size=500):\n"
              "    return iter([{'id': f'ERP-{i:05d}', 'name': f'Contract {i}'} for i in range(%d)])\n" % FEED)


@dataclass
class Case:
    path: str  # relative to the project root
    task: str
    args: Callable[[], tuple] = tuple
    #: What the loop does per item before the fix (for the commit target): "commit" or "read".
    per_item: tuple[str, ...] = ("read",)


@dataclass
class Row:
    case: Case
    reads: tuple[int, int]
    commits: tuple[int, int]
    same: bool
    notes: list[str] = field(default_factory=list)


CASES = [
    # The example workspace.
    Case("examples/limepkg_acme/tasks/contracts.py", "import_contracts", per_item=("read", "commit")),
    Case("examples/limepkg_acme/tasks/contracts.py", "close_expired_deals", per_item=()),
    Case("examples/limepkg_acme/tasks/contracts.py", "refresh_company_names", lambda: (list(COMPANY_IDS),),
         per_item=("read", "commit")),
    Case("examples/limepkg_acme/tasks/clean.py", "import_contracts_batched", per_item=()),
    Case("examples/limepkg_acme/tasks/assignments.py", "coworker_report"),
    Case("examples/limepkg_acme/tasks/assignments.py", "match_signups",
         lambda: ([{"email": r["email"] if r["active"] else ""} for r in _feed()],)),
    Case("examples/limepkg_acme/tasks/assignments.py", "open_contract_codes",
         lambda: ([r["id"] for r in _feed()],)),
    Case("examples/limepkg_acme/tasks/tickets.py", "import_tickets", lambda: ([r["code"] for r in _feed()],),
         per_item=("commit",)),
    # Helpers in another module (people.py): the fixes edit both files.
    Case("examples/limepkg_acme/tasks/signups.py", "count_known_senders", lambda: ([r["email"] for r in _feed()],)),
    Case("examples/limepkg_acme/tasks/signups.py", "open_tickets", lambda: ([f"S{r['code']}" for r in _feed()],),
         per_item=("commit",)),
    # The rule fixtures.
    Case("tests/fixtures/rules/LIME203.py", "skip_existing", lambda: (_feed(),), per_item=("read", "commit")),
    Case("tests/fixtures/rules/LIME203.py", "known_keys", lambda: ([r["id"] for r in _feed()],)),
    Case("tests/fixtures/rules/LIME203.py", "by_id", lambda: (list(COMPANY_IDS),)),
    Case("tests/fixtures/rules/LIME203.py", "by_id_from_feed", lambda: (_feed(),)),
    Case("tests/fixtures/rules/LIME203.py", "invariant", lambda: (_feed(),)),
    Case("tests/fixtures/rules/LIME203.py", "relation_fetch"),
    Case("tests/fixtures/rules/LIME203_shapes.py", "coworker_names"),
    Case("tests/fixtures/rules/LIME203_shapes.py", "new_codes", lambda: ([{"code": r["code"]} for r in _feed()],)),
    Case("tests/fixtures/rules/LIME203_shapes.py", "open_marks", lambda: ([{"code": r["code"]} for r in _feed()],)),
    Case("tests/fixtures/rules/LIME203_shapes.py", "split", lambda: ([{"code": r["code"]} for r in _feed()],)),
    Case("tests/fixtures/rules/LIME203_shapes.py", "flags", lambda: ([{"code": r["code"]} for r in _feed()],)),
    Case("tests/fixtures/rules/LIME203_shapes.py", "company_names", lambda: (list(COMPANY_IDS),)),
    Case("tests/fixtures/rules/LIME203_shapes.py", "open_coworkers"),
    Case("tests/fixtures/rules/LIME201.py", "per_row_uow", lambda: (_feed(),), per_item=("commit",)),
    Case("tests/fixtures/rules/LIME201.py", "filtered_with_counter", lambda: (_feed(),), per_item=("commit",)),
    Case("tests/fixtures/rules/LIME201.py", "through_helper", lambda: (_feed(),), per_item=("commit",)),
    Case("tests/fixtures/rules/LIME201.py", "uow_before_loop", lambda: (list(COMPANY_IDS),),
         per_item=("read", "commit")),
    Case("tests/fixtures/rules/LIME202.py", "import_feed", lambda: (_feed(),), per_item=()),
]


def _settings(path: Path) -> Settings:
    if path.is_relative_to(ROOT / "examples"):
        settings, _, _ = resolve_settings(path)
        return settings
    return Settings(target_version=(3, 11), batch_size=50)


_FIXED: dict[str, tuple[str, dict[str, str]]] = {}


def _fixed(path: Path) -> tuple[str, dict[str, str]]:
    """The file after ``--fix --unsafe-fixes``, and the other files its fixes changed
    (path -> text: a helper in another module), as the CLI would write them."""
    key = str(path)
    if key not in _FIXED:
        settings = _settings(path)
        workspace = Workspace(settings.project_root or path.parent, time_budget=None)
        result = fix_text(path.read_text(encoding="utf-8"), settings, path=key, unsafe=True, workspace=workspace,
                          other_files=True)
        _FIXED[key] = (result.text, result.other_texts)
        workspace.close()
    return _FIXED[key]


#: The examples import shared helpers relatively; the runs import them as top-level modules.
HELPER_MODULES = {"from ..people import": ("acme_people", ROOT / "examples/limepkg_acme/people.py")}


def _runnable(source: str) -> str:
    source = source.replace(ERP_IMPORT, "from erp_feed import fetch_erp_contracts")
    for relative, (name, _) in HELPER_MODULES.items():
        source = source.replace(relative, f"from {name} import")
    return source


def _modules(changed: dict[str, str]) -> dict[str, str]:
    """The modules a run imports: the ERP stand-in and the shared helpers, as the fixes left them."""
    modules = {"erp_feed": ERP_MODULE}
    for name, path in HELPER_MODULES.values():
        modules[name] = changed.get(str(path.resolve())) or path.read_text(encoding="utf-8")
    return modules


def run_case(case: Case) -> Row:
    path = ROOT / case.path
    fixed, changed = _fixed(path)
    runs = []
    for source, modules in ((path.read_text(encoding="utf-8"), _modules({})), (fixed, _modules(changed))):
        scenario = Scenario(case.task, SCHEMA, _rows(), args=case.args(), modules=modules)
        runs.append(outcome(_runnable(source), case.task, scenario))
    before, after = runs
    # Output and log records are not compared: the logging rules' fixes (also applied) turn
    # prints into log records and add input logging on purpose.
    same = (before.result, before.exception, before.data) == (after.result, after.exception, after.data)
    notes = []
    if before.exception:
        notes.append(f"before raised {before.exception}")
    if not same:
        notes.append("result or data changed")
    return Row(case, (before.reads, after.reads), (before.commits, after.commits), same, notes)


def _ratio(before: int, after: int) -> str:
    if before == after:
        return "1x"
    return f"{before / max(after, 1):,.0f}x" if after else f"{before:,}x (to 0)"


def table(rows: list[Row]) -> str:
    out = ["| task | reads before | reads after | commits before | commits after | same result and data |",
           "|---|---:|---:|---:|---:|---|"]
    for row in rows:
        where = Path(row.case.path).name
        out.append(f"| `{where}` `{row.case.task}` | {row.reads[0]:,} | {row.reads[1]:,} | {row.commits[0]:,} | "
                   f"{row.commits[1]:,} | {'yes' if row.same else 'NO: ' + '; '.join(row.notes)} |")
    reads = sum(r.reads[0] for r in rows), sum(r.reads[1] for r in rows)
    commits = sum(r.commits[0] for r in rows), sum(r.commits[1] for r in rows)
    out.append(f"| **total** | **{reads[0]:,}** | **{reads[1]:,}** | **{commits[0]:,}** | **{commits[1]:,}** | |")
    return "\n".join(out)


def targets(rows: list[Row]) -> list[str]:
    """The targets missed, as readable lines (empty: all met)."""
    missed = []
    reads = sum(r.reads[0] for r in rows), sum(r.reads[1] for r in rows)
    if reads[0] < 10 * reads[1]:
        missed.append(f"reads cut {reads[0] / max(reads[1], 1):.1f}x in total, target 10x")
    for row in rows:
        before, after = row.commits
        if "commit" in row.case.per_item and before < 40 * after:
            missed.append(f"{row.case.task}: commits {before:,} -> {after:,}, target 40x fewer")
        if not row.same:
            missed.append(f"{row.case.task}: {'; '.join(row.notes)}")
    return sorted(set(missed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the figures to this file")
    options = parser.parse_args(argv)
    rows = [run_case(case) for case in CASES]
    print(table(rows))
    reads = sum(r.reads[0] for r in rows), sum(r.reads[1] for r in rows)
    commits = sum(r.commits[0] for r in rows), sum(r.commits[1] for r in rows)
    print(f"\nreads: {reads[0]:,} -> {reads[1]:,} ({_ratio(*reads)} fewer); "
          f"commits: {commits[0]:,} -> {commits[1]:,} ({_ratio(*commits)} fewer)")
    per_item = [r for r in rows if "commit" in r.case.per_item]
    if per_item:
        worst = min(per_item, key=lambda r: r.commits[0] / max(r.commits[1], 1))
        print(f"per-item commit loops: the smallest cut is {_ratio(*worst.commits)} ({worst.case.task})")
    missed = targets(rows)
    for line in missed:
        print(f"target missed: {line}")
    if options.json:
        Path(options.json).write_text(json.dumps([
            {"path": r.case.path, "task": r.case.task, "reads": list(r.reads), "commits": list(r.commits),
             "same": r.same, "notes": r.notes} for r in rows], indent=2) + "\n", encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
