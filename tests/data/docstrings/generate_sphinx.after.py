# docstring-test: style=sphinx
"""Generation cases: sphinx style."""

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

    :param app: The Lime application.
    :param source: Source, passed to `_load`.
    :type source: str
    :param limit: Limit. Defaults to 100.
    :type limit: int, optional
    :param dry_run: Dry run. Defaults to False.
    :type dry_run: bool, optional
    :param options: Options.
    :type options: Options, optional
    :param when: When. Defaults to None.
    :type when: optional
    :returns: The task's summary: a short result stored in the task status.
    :rtype: str
    :raises ValueError: Negative limit. Also raised by `_load` and `_check`.
    :raises NotFound: Raised by `_load` and `_check`.
    """
    _load(app, source)
    _check(source)
    if limit < 0:
        raise ValueError("negative limit")
    return f"Imported {limit} deals"


async def fetch(client, /, url: str, retries: int = 3, *args: str, timeout: float = 1.5, **kwargs) -> bytes:
    """TODO: Summarise what fetch does.

    :param client: Client.
    :param url: URL, passed to `client.get`.
    :type url: str
    :param retries: Retries. Defaults to 3.
    :type retries: int, optional
    :param *args: Extra positional arguments.
    :type *args: str
    :param timeout: Timeout. Defaults to 1.5.
    :type timeout: float, optional
    :param **kwargs: Extra keyword arguments.
    :returns: The result of `client.get`.
    :rtype: bytes
    :raises TimeoutError: Re-raised from `client.get`.
    :raises RuntimeError: Fetch failed.
    """
    try:
        return await client.get(url)
    except TimeoutError:
        raise
    except Exception as err:
        raise RuntimeError("fetch failed") from err


def values(items: list[int]) -> Iterator[int]:
    """TODO: Summarise what values does.

    :param items: Items to process.
    :type items: list[int]
    :yields: Each item.
    :ytype: int
    """
    def _bad():
        raise KeyError("nested functions raise for themselves")

    for item in items:
        yield item


async def stream(items) -> AsyncIterator[str]:
    """TODO: Summarise what stream does.

    :param items: Items to process.
    :yields: TODO: Describe the yielded values.
    :ytype: str
    """
    for item in items:
        yield str(item)


def safe(app, key: str) -> object | None:
    """TODO: Summarise what safe does.

    :param app: App, passed to `_load`.
    :param key: Key, passed to `_load`.
    :type key: str
    :returns: The result of `_load`, or None.
    :rtype: object | None
    :raises ValueError: Raised by `_load`.
    """
    try:
        return _load(app, key)
    except LookupError:
        return None


def notify(message: str) -> None:
    """TODO: Summarise what notify does.

    :param message: Message.
    :type message: str
    """
    print(message)


class Service:
    def __init__(self, app, *, name="svc"):
        self.app = app

    @functools.cache
    def lookup(self, key: str) -> object:
        """TODO: Summarise what lookup does.

        :param key: Key, passed to `self._get`.
        :type key: str
        :returns: The result of `self._get`.
        :rtype: object
        :raises NotFound: Raised by `self._get`.
        """
        return self._get(key)

    def _get(self, key):
        if key == "":
            raise NotFound(key)
        return self.app[key]

    @classmethod
    def create(cls, app) -> "Service":
        """TODO: Summarise what create does.

        :param app: App, passed to `cls`.
        :returns: A new instance of the class.
        :rtype: Service
        """
        return cls(app)

    @staticmethod
    def parse(text: str, sep=","):
        """TODO: Summarise what parse does.

        :param text: Text.
        :type text: str
        :param sep: Sep, passed to `text.split`. Defaults to ','.
        :type sep: str, optional
        :returns: The result of `text.split`.
        """
        return text.split(sep)
