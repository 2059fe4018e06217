"""Generation cases: google style."""

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

    Args:
        app: The Lime application.
        source (str): TODO: Describe source.
        limit (int, optional): TODO: Describe limit.
        dry_run (bool, optional): TODO: Describe dry_run.
        options (Options, optional): TODO: Describe options.
        when (optional): TODO: Describe when.

    Returns:
        str: The task's summary: a short result stored in the task status.

    Raises:
        ValueError: TODO: Explain when ValueError is raised.
        NotFound: TODO: Explain when NotFound is raised.
    """
    _load(app, source)
    _check(source)
    if limit < 0:
        raise ValueError("negative limit")
    return f"Imported {limit} deals"


async def fetch(client, /, url: str, retries: int = 3, *args: str, timeout: float = 1.5, **kwargs) -> bytes:
    """TODO: Summarise what fetch does.

    Args:
        client: TODO: Describe client.
        url (str): TODO: Describe url.
        retries (int, optional): TODO: Describe retries.
        *args (str): TODO: Describe *args.
        timeout (float, optional): TODO: Describe timeout.
        **kwargs: TODO: Describe **kwargs.

    Returns:
        bytes: TODO: Describe the return value.

    Raises:
        TimeoutError: TODO: Explain when TimeoutError is raised.
        RuntimeError: TODO: Explain when RuntimeError is raised.
    """
    try:
        return await client.get(url)
    except TimeoutError:
        raise
    except Exception as err:
        raise RuntimeError("fetch failed") from err


def values(items: list[int]) -> Iterator[int]:
    """TODO: Summarise what values does.

    Args:
        items (list[int]): TODO: Describe items.

    Yields:
        int: TODO: Describe the yielded values.
    """
    def _bad():
        raise KeyError("nested functions raise for themselves")

    for item in items:
        yield item


async def stream(items) -> AsyncIterator[str]:
    """TODO: Summarise what stream does.

    Args:
        items: TODO: Describe items.

    Yields:
        str: TODO: Describe the yielded values.
    """
    for item in items:
        yield str(item)


def safe(app, key: str) -> object | None:
    """TODO: Summarise what safe does.

    Args:
        app: TODO: Describe app.
        key (str): TODO: Describe key.

    Returns:
        object | None: TODO: Describe the return value.

    Raises:
        ValueError: TODO: Explain when ValueError is raised.
    """
    try:
        return _load(app, key)
    except LookupError:
        return None


def notify(message: str) -> None:
    """TODO: Summarise what notify does.

    Args:
        message (str): TODO: Describe message.
    """
    print(message)


class Service:
    def __init__(self, app, *, name="svc"):
        self.app = app

    @functools.cache
    def lookup(self, key: str) -> object:
        """TODO: Summarise what lookup does.

        Args:
            key (str): TODO: Describe key.

        Returns:
            object: TODO: Describe the return value.

        Raises:
            NotFound: TODO: Explain when NotFound is raised.
        """
        return self._get(key)

    def _get(self, key):
        if key == "":
            raise NotFound(key)
        return self.app[key]

    @classmethod
    def create(cls, app) -> "Service":
        """TODO: Summarise what create does.

        Args:
            app: TODO: Describe app.

        Returns:
            Service: TODO: Describe the return value.
        """
        return cls(app)

    @staticmethod
    def parse(text: str, sep=","):
        """TODO: Summarise what parse does.

        Args:
            text (str): TODO: Describe text.
            sep (str, optional): TODO: Describe sep.

        Returns:
            TODO: Describe the return value.
        """
        return text.split(sep)
