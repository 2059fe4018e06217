"""Document URIs: one normalised key, and one conversion between URIs and paths.

Clients spell the same document differently: VS Code percent-encodes every URI
it sends (``file:///c%3A/Users/...`` for the drive colon, ``%20`` for a space,
``%C3%A5`` for ``å``), other clients send ``file:///C:/Users/...`` or the
unencoded form.  Every lookup, cache and overlay in the server goes through
:func:`document_key`, so all these spellings name one document; messages to the
client keep the URI the client sent.

Windows paths are handled on every platform (the unit tests run on Linux):

- ``file:///c%3A/x/y.py`` -> ``c:\\x\\y.py`` on Windows, ``/c:/x/y.py`` elsewhere
  (absolute, so nothing is looked for relative to the working directory);
- ``file://server/share/x.py`` (UNC) -> ``\\\\server\\share\\x.py`` on Windows,
  ``//server/share/x.py`` elsewhere.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote, urlsplit

#: ``/c:`` or ``/C:`` at the start of a URI path (after unquoting): a Windows drive.
_DRIVE_PATH = re.compile(r"^/([A-Za-z]):")
#: ``c:`` or ``C:`` at the start of a file system path.
_DRIVE = re.compile(r"^([A-Za-z]):")
_ON_WINDOWS = os.name == "nt"


def document_key(uri: str) -> str:
    """The normalised form of ``uri``: equal for every spelling of one document.

    ``file`` URIs: percent-escapes decoded, the scheme and host lower-cased
    (``localhost`` is no host), a drive letter lower-cased (``file:///c:/x``).
    Other schemes (``untitled:``, ``vscode-notebook-cell:``): scheme lower-cased
    and escapes decoded.  Never raises: a string that is not a URI is its own key.
    """
    if not isinstance(uri, str):
        return ""
    scheme, sep, rest = uri.partition(":")
    if not sep or not scheme:
        return unquote(uri)
    scheme = scheme.lower()
    if scheme != "file":
        return f"{scheme}:{unquote(rest)}"
    host, path = _split_file_uri(uri)
    return f"file://{host}{_drive_lowered(path)}"


def uri_to_path(uri: str, *, windows: bool = _ON_WINDOWS) -> str | None:
    """The file system path of a ``file`` URI; None for other schemes or a URI
    that names no file (``file://`` with no path).

    ``windows`` picks the path flavour (default: this machine's): backslashes, an
    upper-cased drive letter and ``\\\\host\\share`` for UNC on Windows.
    """
    if not isinstance(uri, str) or not uri[:5].lower() == "file:":
        return None
    host, path = _split_file_uri(uri)
    if not path or path == "/" and not host:
        return None
    drive = _DRIVE_PATH.match(path)
    if windows:
        if host:
            return "\\\\" + host + path.replace("/", "\\")
        if drive:
            return drive.group(1).upper() + ":" + (path[3:] or "/").replace("/", "\\")
        return path.replace("/", "\\")
    if host:
        return "//" + host + path
    return path


def path_to_uri(path: str, *, windows: bool = _ON_WINDOWS) -> str:
    """The ``file`` URI of an absolute path, encoded the way VS Code encodes it
    (drive letter lower-cased, colon and non-ASCII letters percent-encoded)."""
    if windows:
        path = path.replace("\\", "/")
        if path.startswith("//"):
            host, _, rest = path[2:].partition("/")
            return f"file://{host.lower()}/{quote(rest)}"
        drive = _DRIVE.match(path)
        if drive:
            path = "/" + drive.group(1).lower() + ":" + path[2:]
    return "file://" + quote(path)


def _split_file_uri(uri: str) -> tuple[str, str]:
    """(host, unquoted path) of a ``file`` URI."""
    try:
        parts = urlsplit(uri)
        host, path = parts.netloc, parts.path
    except ValueError:  # e.g. an unbalanced "[" in the host
        rest = uri[5:]
        if rest.startswith("//"):
            host, _, path = rest[2:].partition("/")
            path = "/" + path
        else:
            host, path = "", rest
    host = unquote(host).lower()
    if host == "localhost":
        host = ""
    return host, unquote(path)


def _drive_lowered(path: str) -> str:
    drive = _DRIVE_PATH.match(path)
    if drive:
        return "/" + drive.group(1).lower() + path[2:]
    return path


class DocumentMap(dict):
    """A dict keyed by document URI in any spelling: every key goes through
    :func:`document_key`, so ``file:///c%3A/x.py`` and ``file:///C:/x.py`` are one entry."""

    def __getitem__(self, uri: str):
        return super().__getitem__(document_key(uri))

    def __setitem__(self, uri: str, value) -> None:
        super().__setitem__(document_key(uri), value)

    def __delitem__(self, uri: str) -> None:
        super().__delitem__(document_key(uri))

    def __contains__(self, uri: object) -> bool:
        return isinstance(uri, str) and super().__contains__(document_key(uri))

    def get(self, uri: str, default=None):
        return super().get(document_key(uri), default)

    def pop(self, uri: str, *default):
        return super().pop(document_key(uri), *default)

    def setdefault(self, uri: str, default=None):
        return super().setdefault(document_key(uri), default)


def is_inside(uri: str, folder_uri: str) -> bool:
    """Whether document ``uri`` lies in the folder ``folder_uri`` (any spelling of either)."""
    folder = document_key(folder_uri).rstrip("/")
    return bool(folder) and document_key(uri).startswith(folder + "/")
