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
    _load(app, source)
    _check(source)
    if limit < 0:
        raise ValueError("negative limit")
    return f"Imported {limit} deals"


async def fetch(client, /, url: str, retries: int = 3, *args: str, timeout: float = 1.5, **kwargs) -> bytes:
    try:
        return await client.get(url)
    except TimeoutError:
        raise
    except Exception as err:
        raise RuntimeError("fetch failed") from err


def values(items: list[int]) -> Iterator[int]:
    def _bad():
        raise KeyError("nested functions raise for themselves")

    for item in items:
        yield item


async def stream(items) -> AsyncIterator[str]:
    for item in items:
        yield str(item)


def safe(app, key: str) -> object | None:
    try:
        return _load(app, key)
    except LookupError:
        return None


def notify(message: str) -> None:
    print(message)


class Service:
    def __init__(self, app, *, name="svc"):
        self.app = app

    @functools.cache
    def lookup(self, key: str) -> object:
        return self._get(key)

    def _get(self, key):
        if key == "":
            raise NotFound(key)
        return self.app[key]

    @classmethod
    def create(cls, app) -> "Service":
        return cls(app)

    @staticmethod
    def parse(text: str, sep=","):
        return text.split(sep)
