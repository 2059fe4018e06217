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
    :param source: TODO: Describe source.
    :type source: str
    :param limit: TODO: Describe limit.
    :type limit: int, optional
    :param dry_run: TODO: Describe dry_run.
    :type dry_run: bool, optional
    :param options: TODO: Describe options.
    :type options: Options, optional
    :param when: TODO: Describe when.
    :type when: optional
    :returns: The task's summary: a short result stored in the task status.
    :rtype: str
    :raises ValueError: TODO: Explain when ValueError is raised.
    :raises NotFound: TODO: Explain when NotFound is raised.
    """
    _load(app, source)
    _check(source)
    if limit < 0:
        raise ValueError("negative limit")
    return f"Imported {limit} deals"


async def fetch(client, /, url: str, retries: int = 3, *args: str, timeout: float = 1.5, **kwargs) -> bytes:
    """TODO: Summarise what fetch does.

    :param client: TODO: Describe client.
    :param url: TODO: Describe url.
    :type url: str
    :param retries: TODO: Describe retries.
    :type retries: int, optional
    :param *args: TODO: Describe *args.
    :type *args: str
    :param timeout: TODO: Describe timeout.
    :type timeout: float, optional
    :param **kwargs: TODO: Describe **kwargs.
    :returns: TODO: Describe the return value.
    :rtype: bytes
    :raises TimeoutError: TODO: Explain when TimeoutError is raised.
    :raises RuntimeError: TODO: Explain when RuntimeError is raised.
    """
    try:
        return await client.get(url)
    except TimeoutError:
        raise
    except Exception as err:
        raise RuntimeError("fetch failed") from err


def values(items: list[int]) -> Iterator[int]:
    """TODO: Summarise what values does.

    :param items: TODO: Describe items.
    :type items: list[int]
    :yields: TODO: Describe the yielded values.
    :ytype: int
    """
    def _bad():
        raise KeyError("nested functions raise for themselves")

    for item in items:
        yield item


async def stream(items) -> AsyncIterator[str]:
    """TODO: Summarise what stream does.

    :param items: TODO: Describe items.
    :yields: TODO: Describe the yielded values.
    :ytype: str
    """
    for item in items:
        yield str(item)


def safe(app, key: str) -> object | None:
    """TODO: Summarise what safe does.

    :param app: TODO: Describe app.
    :param key: TODO: Describe key.
    :type key: str
    :returns: TODO: Describe the return value.
    :rtype: object | None
    :raises ValueError: TODO: Explain when ValueError is raised.
    """
    try:
        return _load(app, key)
    except LookupError:
        return None


def notify(message: str) -> None:
    """TODO: Summarise what notify does.

    :param message: TODO: Describe message.
    :type message: str
    """
    print(message)


class Service:
    def __init__(self, app, *, name="svc"):
        self.app = app

    @functools.cache
    def lookup(self, key: str) -> object:
        """TODO: Summarise what lookup does.

        :param key: TODO: Describe key.
        :type key: str
        :returns: TODO: Describe the return value.
        :rtype: object
        :raises NotFound: TODO: Explain when NotFound is raised.
        """
        return self._get(key)

    def _get(self, key):
        if key == "":
            raise NotFound(key)
        return self.app[key]

    @classmethod
    def create(cls, app) -> "Service":
        """TODO: Summarise what create does.

        :param app: TODO: Describe app.
        :returns: TODO: Describe the return value.
        :rtype: Service
        """
        return cls(app)

    @staticmethod
    def parse(text: str, sep=","):
        """TODO: Summarise what parse does.

        :param text: TODO: Describe text.
        :type text: str
        :param sep: TODO: Describe sep.
        :type sep: str, optional
        :returns: TODO: Describe the return value.
        """
        return text.split(sep)
