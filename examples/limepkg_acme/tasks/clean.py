"""A task written the way Lime's guide recommends: no rule should fire here."""

import itertools
import logging
import time
from typing import Iterator

import lime_filter
from lime_application import LimeApplication
from lime_task import task

from ..erp import fetch_erp_contracts

logger = logging.getLogger(__name__)


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    """Split rows into lists of at most ``size`` rows.

    Args:
        rows: The rows to split.
        size: The largest batch.

    Yields:
        One batch of rows.
    """
    while True:
        batch = list(itertools.islice(rows, size))
        if not batch:
            return
        yield batch


@task
def import_contracts_batched(app: LimeApplication, batch_size: int = 50) -> str:
    """Import ERP contracts in batches, skipping those already in Lime.

    The existing ERP ids are read once into a set, so each row is checked in
    memory; new contracts are committed in units of work of ``batch_size``.

    Args:
        app: The Lime application.
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
    for batch in _batches(fetch_erp_contracts(), batch_size):
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
