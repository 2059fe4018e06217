"""Update cases: google style.  Lines marked DROPPED/RETYPED are expected to change."""

from collections.abc import Iterator

from lime_task import task


class QuotaExceeded(Exception):
    pass


def _guard(app):
    if app.quota <= 0:
        raise QuotaExceeded(app.quota)


def complete(app, name: str,  *args, limit: int = 5, **kwargs) -> dict[str,int]:
    """Count things, already fully documented.

      The author indents oddly here; the engine must not care.

    Args:
        app: The Lime application.
        name (str): What to count.

        *args: Extra positional values,
           continued on a second line.
        limit (int, optional): Upper bound.
        **kwargs: Passed through.

    Returns:
        dict[str, int]: Counts per name.

    Raises:
        QuotaExceeded: When the quota is used up.

    Examples:
        >>> complete(app, "deal")
        {'deal': 3}
    """
    _guard(app)
    return {name: limit}


def renamed(app, company_id: int, /, *, strict: bool = False) -> None:
    """Archive a company.

    Args:
        app: The Lime application.
        company_id (int): Company ID.
        strict (bool): Fail on the first error.
    """


def retyped(app, ids: list[int]) -> list[str]:
    """Load names.

    Args:
        app: The Lime application.
        ids (list[int]): Identifiers to load. RETYPED

    Returns:
        list[str]: Names in the order of ``ids``. RETYPED
    """
    return [str(i) for i in ids]


def became_generator(rows) -> Iterator[dict]:
    """Walk rows.

    Args:
        rows: Rows from the query.

    Yields:
        The rows, one at a time.
    """
    for row in rows:
        yield row


def no_longer_generator(rows) -> list:
    """Collect rows.

    Args:
        rows: Rows from the query.

    Returns:
        The rows as a list.
    """
    return list(rows)


def raises_changed(app, key):
    """Look up a key.

    Args:
        app: The Lime application.
        key: The key.

    Raises:
        ValueError: When the key is empty.
        QuotaExceeded: Raised by `_guard`.
    """
    if not key:
        raise ValueError(key)
    _guard(app)


def returns_removed(app) -> None:
    """Refresh the cache.

    Args:
        app: The Lime application.
    """
    app.refresh()


def summary_only(app, deal_id: int) -> bool:
    """Close a deal.

    Args:
        app: App.
        deal_id (int): Deal ID, passed to `app.close`.

    Returns:
        bool: The result of `app.close`.
    """
    return app.close(deal_id)


def extended(app, *, dry_run=False):
    """Send reminders.

    Reminders go to the coordinator of every overdue deal.

    Args:
        app: App, passed to `_guard`.
        dry_run (bool, optional): Dry run. Defaults to False.

    Raises:
        QuotaExceeded: Raised by `_guard`.

    Note:
        Runs nightly.

    Examples:
        >>> extended(app)
    """
    _guard(app)


@task
def nightly(app, batch_size=500):
    """Run the nightly clean-up.

    Args:
        app: The Lime application.
        batch_size: Batch size. Defaults to 500.

    Returns:
        The task's summary: a short result stored in the task status.
    """
    try:
        _guard(app)
    except QuotaExceeded:
        return "Skipped: quota used up"
    return f"Cleaned {batch_size} rows"


class Importer:
    async def run(self, source: str, *, retries: int = 3) -> int:
        """Import from a source.

        Args:
            source: Where to read from.
            retries: Retries. Defaults to 3.

        Returns:
            Number of imported rows.

        Raises:
            OSError: Re-raised from `self._fetch`.
        """
        def _on_error(exc):
            """Report an error.

            Args:
                exc: The error.

            Raises:
                RuntimeError: TODO: Explain when RuntimeError is raised.
            """
            raise RuntimeError(exc)

        try:
            return await self._fetch(source)
        except OSError:
            raise

    async def _fetch(self, source):
        raise OSError(source)
