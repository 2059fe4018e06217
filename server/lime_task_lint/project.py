"""Where the project lives on the web, for rule links and reports.

The single source is ``[project.urls]`` in ``pyproject.toml``.  An installed
package (a wheel, an editable install, or the ``.vsix`` bundle, whose build
writes a ``lime_task_lint-*.dist-info``) carries it as ``Project-URL`` metadata;
a source checkout run without installing reads ``pyproject.toml`` itself.
``package.json``'s ``repository``, ``homepage`` and ``bugs`` are stamped from
the same table when the ``.vsix`` is built (``scripts/vsix_metadata.py``).
"""

from __future__ import annotations

import functools
from pathlib import Path

DISTRIBUTION = "lime-task-lint"
_CHECKOUT_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _from_metadata() -> dict[str, str]:
    from importlib import metadata  # imported when asked: about 20 ms of every CLI start otherwise

    try:
        entries = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label.strip()] = url.strip()
    return urls


def _from_checkout() -> dict[str, str]:
    if not _CHECKOUT_PYPROJECT.is_file():
        return {}
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli is a dependency there
        import tomli as tomllib  # type: ignore[no-redef]

    with _CHECKOUT_PYPROJECT.open("rb") as handle:
        table = tomllib.load(handle).get("project", {}).get("urls", {})
    return {str(k): str(v) for k, v in table.items()}


@functools.lru_cache(maxsize=None)
def project_urls() -> dict[str, str]:
    """``[project.urls]`` as ``{label: url}`` (``Repository``, ``Issues``, ...).

    Metadata of an editable install made before the table existed lacks it, so
    the checkout's ``pyproject.toml`` is read when the metadata has no
    ``Repository``.  Raises ``RuntimeError`` when neither has one (a copy of
    the package without its metadata).
    """
    for source in (_from_metadata, _from_checkout):
        urls = source()
        if urls.get("Repository"):
            return urls
    raise RuntimeError(
        f"no Repository URL: {DISTRIBUTION} is not installed and {_CHECKOUT_PYPROJECT} has no [project.urls]"
    )


def repository_url() -> str:
    """The project's repository (``[project.urls] Repository``), without a trailing slash."""
    return project_urls()["Repository"].rstrip("/")


def rule_docs_url(anchor: str) -> str:
    """A rule's page: ``anchor`` is its heading anchor in docs/rules.md, e.g.
    ``lime104-len-of-query``."""
    return f"{repository_url()}/blob/main/docs/rules.md#{anchor}"
