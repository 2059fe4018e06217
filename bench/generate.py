"""Deterministic generator of realistic Lime task modules for the benchmark.

A generated module is one import header followed by numbered copies of a set
of blocks, each block a task or helper written the way real Lime packages are
(see ``examples/limepkg_acme/tasks``): every pattern of the rule catalogue
(LIME101-LIME501), helpers that read, commit or build lists, and clean code
that no rule should flag (about a third of the lines).  Copies differ only by
their number, so the file for N lines is the same on every machine and run:

    .venv/bin/python bench/generate.py 10000 > /tmp/tasks_10k.py
    .venv/bin/python bench/generate.py dense 500 > /tmp/tasks_500.py       # 500 small tasks
    .venv/bin/python bench/generate.py scheduled 10000 > /tmp/scheduled.py  # ScheduledTask blocks
"""

from __future__ import annotations

import sys

HEADER = '''"""Generated Lime tasks for the lime-task-lint benchmark (do not edit)."""

import itertools
import logging
import time
import traceback
from typing import Iterator

import lime_filter
import lime_query
import requests
from lime_application import LimeApplication
from lime_task import task

logger = logging.getLogger(__name__)

'''

# Each block uses __N__ where the copy number goes.  Comments name the rule
# each block is there for (the benchmark does not rely on them).
BLOCKS = [
    # LIME104 len-of-query, LIME101 materialized-query
    '''
@task
def count_companies___N__(app: LimeApplication) -> str:
    """Count the companies in the database.

    Args:
        app: The Lime application.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Counting companies (__N__)")
    # Both reads load every object: the count only needs the number.
    total = len(list(app.limetypes.company.get_all()))
    persons = list(app.limetypes.person.get_all())
    flagged = 0
    for person in persons:
        if person.properties.days_inactive.value > 30:
            flagged += 1
    return f"{total} companies, {flagged} persons flagged"
''',
    # LIME102 list-builder helper, LIME103 objects kept, used from a task
    '''
def active_person_names___N__(app):
    names = []
    for person in app.limetypes.person.get_all():
        if person.properties.active.value:
            names.append(person.properties.name.value)
    return names


@task
def person_report___N__(app, region):
    logger.info("Person report for region %s", region)
    count = 0
    kept = []
    for name in active_person_names___N__(app):
        count += 1
    for company in app.limetypes.company.get_all():
        if company.properties.country.value == region:
            kept.append(company)
    return f"{count} active persons, {len(kept)} companies in {region}"
''',
    # LIME201 commit in loop, LIME203 query in loop, LIME204 uow per item
    '''
@task
def import_contracts___N__(app: LimeApplication, rows: list[dict]) -> str:
    """Import new contracts, skipping those already in Lime.

    Args:
        app: The Lime application.
        rows: The contracts read from the ERP.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Importing %s contracts", len(rows))
    created = 0
    for row in rows:
        existing = app.limetypes.contract.get_all(
            filter=lime_filter.Filter(lime_filter.EqualsOperator("erp_id", row["id"])))
        if existing.count:  # already imported
            continue
        uow = app.unit_of_work()
        contract = app.limetypes.contract(erp_id=row["id"], name=row["name"])
        uow.add(contract)
        uow.commit()
        created += 1
    return f"{created} contracts created"
''',
    # LIME202 unbounded unit of work; LIME203 get(id) in loop; commit through a helper
    '''
def save_company___N__(app, company):
    uow = app.unit_of_work()
    uow.add(company)
    uow.commit()


@task
def close_expired_deals___N__(app: LimeApplication, company_ids: list[int]) -> str:
    """Close every expired deal in one unit of work.

    Args:
        app: The Lime application.
        company_ids: Companies whose names are refreshed.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Closing expired deals for %s companies", len(company_ids))
    uow = app.unit_of_work()
    closed = 0
    for deal in app.limetypes.deal.get_all():
        if deal.properties.expired.value:
            deal.properties.dealstatus.set_by_key("lost")
            uow.add(deal)
            closed += 1
    uow.commit()
    for company_id in company_ids:
        company = app.limetypes.company.get(company_id)
        company.properties.name.value = company.properties.name.value.strip()
        save_company___N__(app, company)
    return f"{closed} deals closed"
''',
    # LIME301 exception without details, LIME302 secret in log, LIME303 missing f,
    # LIME306 eager format
    '''
@task
def sync_deals___N__(app: LimeApplication, api_key: str, since: str) -> str:
    """Push deals changed since a date to the portal.

    Args:
        app: The Lime application.
        api_key: The portal's API key.
        since: ISO date of the last sync.

    Returns:
        A summary of the task, stored as the task result.
    """
    url = "https://portal.example.com/deals/__N__"  # noqa: E501
    headers = {"Authorization": api_key}
    logger.info(f"Sending deals since {since} to {url} with key {api_key}")
    sent = 0
    for deal in app.limetypes.deal.get_all(limit=500):
        try:
            response = requests.post(url, json={"id": deal.id}, headers=headers, timeout=30)
            response.raise_for_status()
            sent += 1
        except requests.RequestException as e:
            logger.warning("Deal sync failed with status {response.status_code}")
    logger.info("Sent %s deals" % sent)
    return f"{sent} deals sent"
''',
    # LIME304 print in task, LIME301 print(e) / print_exc / pass, LIME305 inputs not logged
    '''
@task
def archive_deals___N__(app: LimeApplication, year: int) -> str:
    """Archive the deals of a year.

    Args:
        app: The Lime application.
        year: The year to archive.

    Returns:
        A summary of the task, stored as the task result.
    """
    archived = 0
    for deal in app.limetypes.deal.get_all(limit=1000):
        try:
            deal.properties.archived.value = deal.properties.year.value == year
            archived += 1
        except Exception as e:
            print(e)
            traceback.print_exc()
        try:
            deal.properties.checked.value = True
        except ValueError:
            pass
    print("archived", archived)
    return f"{archived} deals archived"
''',
    # LIME401 no docstring, LIME402 no annotations, LIME403 stale docstring
    '''
@task
def deal_totals___N__(app, year, currency="SEK"):
    logger.info("Deal totals for %s in %s", year, currency)
    total = 0
    for deal in app.limetypes.deal.get_all(limit=200):
        total += deal.properties.value.value
    return f"{total} {currency} in {year}"


@task
def deal_summary___N__(app, year: int, currency: str = "SEK") -> str:
    """Summarise the deals of a year.

    Args:
        app: The Lime application.
        region: The sales region.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Deal summary for %s in %s", year, currency)
    if not year:
        raise ValueError("year is required")
    return f"deals of {year} in {currency}"
''',
    # LIME501 complex task
    '''
@task
def score_companies___N__(app, weights: dict) -> str:
    """Score companies with a weighted rule set.

    Args:
        app: The Lime application.
        weights: Weight per criterion.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Scoring companies with %s", weights)
    scored = 0
    for company in app.limetypes.company.get_all(limit=100):
        score = 0
        if company.properties.employees.value > 100:
            score += weights.get("size", 1)
        elif company.properties.employees.value > 10:
            score += 1
        if company.properties.country.value == "SE":
            score += 2
        elif company.properties.country.value in ("NO", "DK"):
            score += 1
        if company.properties.revenue.value and company.properties.revenue.value > 1_000_000:
            score += 3
        if company.properties.customer.value and not company.properties.churned.value:
            score += 2
        if company.properties.segment.value == "enterprise" or company.properties.segment.value == "public":
            score += 1
        while score > 10:
            score -= 1
        scored += 1 if score else 0
    return f"{scored} companies scored"
''',
    # execute_query in a loop, a relation fetch in a loop, files.fetch
    '''
def company_persons___N__(company):
    return [p.properties.email.value for p in company.properties.person.fetch()]


@task
def export_emails___N__(app: LimeApplication, limit: int = 100) -> str:
    """Export the e-mail addresses of each company's persons.

    Args:
        app: The Lime application.
        limit: The largest number of companies.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Exporting e-mails of at most %s companies", limit)
    exported = 0
    for company in app.limetypes.company.get_all(limit=limit):
        emails = company_persons___N__(company)
        result = lime_query.execute_query(app, {"limetype": "deal", "filter": {"company": company.id}})
        exported += len(emails) + len(result["objects"])
        document = app.files.fetch(company.properties.logo.value)
        if document is None:
            continue
    return f"{exported} rows exported"
''',
    # clean code: batched import, lazy logs, docstrings, nothing to flag
    '''
def _batches___N__(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    """Split rows into lists of at most ``size`` rows.

    Args:
        rows: The rows to split.
        size: The largest batch.

    Yields:
        One batch of rows.
    """
    while True:
        # islice stops at the end of the rows: an empty batch ends the loop.
        batch = list(itertools.islice(rows, size))
        if not batch:
            return
        yield batch


@task
def import_contracts_batched___N__(app: LimeApplication, rows: Iterator[dict], batch_size: int = 50) -> str:
    """Import contracts in batches, skipping those already in Lime.

    Args:
        app: The Lime application.
        rows: The contracts read from the ERP.
        batch_size: Contracts per committed unit of work.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Importing contracts in batches of %s", batch_size)
    started = time.perf_counter()
    contracts = app.limetypes.contract
    existing_ids = {c.properties.erp_id.value for c in contracts.get_all(
        filter=lime_filter.Filter(lime_filter.NotEqualsOperator(field="erp_id", value=None)))}
    created = 0
    for batch in _batches___N__(rows, batch_size):
        uow = app.unit_of_work()
        for row in batch:
            if row["id"] in existing_ids:
                continue
            uow.add(contracts(erp_id=row["id"], name=row["name"]))
            created += 1
        try:
            uow.commit()
        except Exception:
            logger.exception("Committing a batch of %s contracts failed", len(batch))
            raise
    logger.info("Imported %s contracts in %.1f s", created, time.perf_counter() - started)
    return f"{created} contracts created"


def format_money___N__(amount: float, currency: str = "SEK") -> str:
    """Format an amount with its currency.

    Args:
        amount: The amount.
        currency: The ISO currency code.

    Returns:
        The amount with two decimals and the currency.
    """
    return f"{amount:,.2f} {currency}"
''',
]


def generate(lines: int) -> str:
    """A module of about ``lines`` lines (never fewer), the same on every run."""
    parts = [HEADER]
    count = HEADER.count("\n")
    copy = 0
    while count < lines:
        block = BLOCKS[copy % len(BLOCKS)].replace("__N__", str(copy))
        parts.append(block)
        count += block.count("\n")
        copy += 1
    return "".join(parts)


DENSE_HEADER = "import logging\nfrom lime_task import task\n\nlogger = logging.getLogger(__name__)\n"

DENSE_TASK = '''

@task
def job___N__(app, rows):
    for row in rows:
        uow = app.unit_of_work()
        company = app.limetypes.company.get(row["id"])
        logger.info(f"name {company.id}")
        uow.add(company)
        uow.commit()
'''


def generate_dense(tasks: int) -> str:
    """A task-dense module: ``tasks`` small tasks (10 lines each; 500 tasks are
    about 5,000 lines), each with a commit per item, an f-string log message and
    a read per item: the shape whose editor latency grew with the number of
    tasks (issue 18)."""
    return DENSE_HEADER + "".join(DENSE_TASK.replace("__N__", str(n)) for n in range(tasks))


SCHEDULED_HEADER = '''"""Generated scheduled Lime tasks for the lime-task-lint benchmark (do not edit)."""

import logging

from lime_task import task
from lime_task.schedule import CronTab, ScheduledTask, TaskSession

logger = logging.getLogger(__name__)
'''

SCHEDULED_BLOCK = '''

@task
def sync_deals___N__(app, limit: int = 100) -> str:
    """Synchronise the open deals of batch __N__.

    Args:
        app: The Lime application.
        limit: The most deals to touch.

    Returns:
        A summary, stored as the task result.
    """
    uow = app.unit_of_work()
    touched = 0
    for deal in app.limetypes.deal.get_all():
        if touched >= limit:
            break
        deal.properties.checked.value = True
        uow.add(deal)
        touched += 1
    uow.commit()
    logger.info("Synchronised %s deals", touched)
    return f"{touched} deals"


def schedule___N__():
    return ScheduledTask(
        task=sync_deals___N__,
        schedule=CronTab(minute=__N__ % 60),
        session=TaskSession(user_name="integration", language="en"),
        args=[],
    )
'''


def generate_scheduled(lines: int) -> str:
    """A module of about ``lines`` lines of tasks, each scheduled with a
    ``ScheduledTask(task=...)`` block naming it, and a ``register_scheduled_tasks``
    that lists every block: the shape where resolving scheduled tasks with jedi
    per call site was quadratic (issue 18)."""
    parts = [SCHEDULED_HEADER]
    count = SCHEDULED_HEADER.count("\n") + 3
    copies = 0
    while count < lines:
        block = SCHEDULED_BLOCK.replace("__N__", str(copies))
        parts.append(block)
        count += block.count("\n")
        copies += 1
    parts.append("\n\ndef register_scheduled_tasks():\n    return [" +
                 ", ".join(f"schedule_{n}()" for n in range(copies)) + "]\n")
    return "".join(parts)


def generate_package(folder, modules: int = 50, lines: int = 345) -> list:
    """A Lime package of ``modules`` task modules of about ``lines`` lines each
    (``folder/limepkg_bench/tasks/tasks_N.py``, with ``__init__`` files and a
    ``pyproject.toml``); returns the module paths."""
    from pathlib import Path

    root = Path(folder)
    tasks = root / "limepkg_bench" / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = \"limepkg-bench\"\n", encoding="utf-8")
    (root / "limepkg_bench" / "__init__.py").write_text("", encoding="utf-8")
    (tasks / "__init__.py").write_text("", encoding="utf-8")
    text = generate(lines)
    paths = []
    for number in range(modules):
        path = tasks / f"tasks_{number}.py"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "1000"
    if kind == "dense":
        sys.stdout.write(generate_dense(int(sys.argv[2]) if len(sys.argv) > 2 else 500))
    elif kind == "scheduled":
        sys.stdout.write(generate_scheduled(int(sys.argv[2]) if len(sys.argv) > 2 else 10_000))
    else:
        sys.stdout.write(generate(int(kind)))
