# docstring-test: style=numpy
"""Update cases: numpy style.  Lines marked DROPPED/RETYPED are expected to change."""

from collections.abc import Iterator


def _check(value):
    if value is None:
        raise ValueError("value is required")
    return value


def complete(app, name: str, limit: int = 5) -> dict[str, int]:
    """Count things, already fully documented.

    Parameters
    ----------
    app
        The Lime application.
    name : str
        What to count.
    limit : int, optional
        Upper bound.
        Defaults to five.

    Returns
    -------
    dict[str, int]
        Counts per name.

    Raises
    ------
    ValueError
        When the name is missing.

    See Also
    --------
    other_function : Does something else.
    """
    _check(name)
    return {name: limit}


def changed(app, ids: list[int], *, strict=False) -> Iterator[str]:
    """Stream names.

    A longer description that the author wrote
    over two lines.

    Parameters
    ----------
    app
        The Lime application.
    ids : list[int]
        Identifiers to load. RETYPED
    strict : bool, optional
        Strict. Defaults to False.

    Yields
    ------
    str
        The names, one at a time. RETYPED

    Raises
    ------
    ValueError
        Raised by `_check`.

    Notes
    -----
    Uses one query per batch.
    """
    for i in ids:
        yield str(_check(i))


def untyped_result(app):
    """Compute a number.

    Parameters
    ----------
    app
        The Lime application.

    Returns
    -------
    The number of items.
    """
    return len(app.items)
