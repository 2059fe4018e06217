# docstring-test: style=numpy
"""Generation cases: numpy style."""

import functools
from collections.abc import AsyncIterator, Iterator

from lime_task import task


class LimeError(Exception):
    pass


class NotFound(LimeError, LookupError):
    pass


class Options:
    pass


def _load(app, key):
    if key is None:
        raise ValueError("key is required")
    if key not in app:
        raise NotFound(key)
    return app[key]


def _check(value):
    if not value:
        raise ValueError("empty")
    return _load(value, "x")


@task
def import_deals(app, source: str, limit=100, *, dry_run=False, options=Options(), when=None):
    """TODO: Summarise what import_deals does.

    Parameters
    ----------
    app
        The Lime application.
    source : str
        Source, passed to `_load`.
    limit : int, optional
        Limit. Defaults to 100.
    dry_run : bool, optional
        Dry run. Defaults to False.
    options : Options, optional
        Options.
    when : optional
        When. Defaults to None.

    Returns
    -------
    str
        The task's summary: a short result stored in the task status.

    Raises
    ------
    ValueError
        Negative limit. Also raised by `_load` and `_check`.
    NotFound
        Raised by `_load` and `_check`.
    """
    _load(app, source)
    _check(source)
    if limit < 0:
        raise ValueError("negative limit")
    return f"Imported {limit} deals"


async def fetch(client, /, url: str, retries: int = 3, *args: str, timeout: float = 1.5, **kwargs) -> bytes:
    """TODO: Summarise what fetch does.

    Parameters
    ----------
    client
        Client.
    url : str
        URL, passed to `client.get`.
    retries : int, optional
        Retries. Defaults to 3.
    *args : str
        Extra positional arguments.
    timeout : float, optional
        Timeout. Defaults to 1.5.
    **kwargs
        Extra keyword arguments.

    Returns
    -------
    bytes
        The result of `client.get`.

    Raises
    ------
    TimeoutError
        Re-raised from `client.get`.
    RuntimeError
        Fetch failed.
    """
    try:
        return await client.get(url)
    except TimeoutError:
        raise
    except Exception as err:
        raise RuntimeError("fetch failed") from err


def values(items: list[int]) -> Iterator[int]:
    """TODO: Summarise what values does.

    Parameters
    ----------
    items : list[int]
        Items to process.

    Yields
    ------
    int
        Each item.
    """
    def _bad():
        raise KeyError("nested functions raise for themselves")

    for item in items:
        yield item


async def stream(items) -> AsyncIterator[str]:
    """TODO: Summarise what stream does.

    Parameters
    ----------
    items
        Items to process.

    Yields
    ------
    str
        TODO: Describe the yielded values.
    """
    for item in items:
        yield str(item)


def safe(app, key: str) -> object | None:
    """TODO: Summarise what safe does.

    Parameters
    ----------
    app
        App, passed to `_load`.
    key : str
        Key, passed to `_load`.

    Returns
    -------
    object | None
        The result of `_load`, or None.

    Raises
    ------
    ValueError
        Raised by `_load`.
    """
    try:
        return _load(app, key)
    except LookupError:
        return None


def notify(message: str) -> None:
    """TODO: Summarise what notify does.

    Parameters
    ----------
    message : str
        Message.
    """
    print(message)


class Service:
    def __init__(self, app, *, name="svc"):
        self.app = app

    @functools.cache
    def lookup(self, key: str) -> object:
        """TODO: Summarise what lookup does.

        Parameters
        ----------
        key : str
            Key, passed to `self._get`.

        Returns
        -------
        object
            The result of `self._get`.

        Raises
        ------
        NotFound
            Raised by `self._get`.
        """
        return self._get(key)

    def _get(self, key):
        if key == "":
            raise NotFound(key)
        return self.app[key]

    @classmethod
    def create(cls, app) -> "Service":
        """TODO: Summarise what create does.

        Parameters
        ----------
        app
            App, passed to `cls`.

        Returns
        -------
        Service
            A new instance of the class.
        """
        return cls(app)

    @staticmethod
    def parse(text: str, sep=","):
        """TODO: Summarise what parse does.

        Parameters
        ----------
        text : str
            Text.
        sep : str, optional
            Sep, passed to `text.split`. Defaults to ','.

        Returns
        -------
        The result of `text.split`.
        """
        return text.split(sep)
