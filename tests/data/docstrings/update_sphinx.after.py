# docstring-test: style=sphinx
"""Update cases: sphinx style.  Lines marked DROPPED/RETYPED are expected to change."""

from collections.abc import Iterator


class NotFound(Exception):
    pass


def _find(app, key):
    if key not in app:
        raise NotFound(key)
    return app[key]


def complete(app, key: str, default=None) -> object:
    """Look a key up, already fully documented.

    :param app: The Lime application.
    :param str key: The key,
        continued on a second line.
    :param default: Returned when missing.
    :returns: The value.
    :rtype: object
    :raises NotFound: When the key is missing.
    :meta public:
    """
    return _find(app, key)


def changed(app, keys: list[str], *, strict: bool = False) -> Iterator[object]:
    """Look keys up.

    .. note:: An author's reST note stays.

    :param app: The Lime application.
    :param keys: The keys.
    :type keys: list[str]
    :param strict: Strict. Defaults to False.
    :type strict: bool, optional
    :yields: The values in order.
    :ytype: object
    :raises NotFound: Raised by `_find`.
    """
    for key in keys:
        yield _find(app, key)
