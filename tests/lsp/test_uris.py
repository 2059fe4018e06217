"""Document URIs: one key for every spelling, one path for every URI (Windows forms tested on Linux)."""

from __future__ import annotations

import pytest

from lime_task_lint.uris import DocumentMap, document_key, is_inside, path_to_uri, uri_to_path

SPELLINGS_OF_ONE_WINDOWS_FILE = [
    "file:///c%3A/Users/dev/L%C3%B6ner%20%C3%85r/tasks/job.py",   # VS Code: colon, space, å/ö encoded
    "file:///C:/Users/dev/L%C3%B6ner%20%C3%85r/tasks/job.py",     # drive upper-case, colon plain
    "file:///c:/Users/dev/Löner År/tasks/job.py",                 # nothing encoded
    "FILE:///C%3a/Users/dev/L%c3%b6ner%20%c3%85r/tasks/job.py",   # lower-case escapes, upper-case scheme
    "file://localhost/c%3A/Users/dev/L%C3%B6ner%20%C3%85r/tasks/job.py",
]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_ONE_WINDOWS_FILE)
def test_every_spelling_of_a_windows_uri_has_one_key(spelling):
    assert document_key(spelling) == document_key(SPELLINGS_OF_ONE_WINDOWS_FILE[0])


def test_different_files_keep_different_keys():
    assert document_key("file:///c%3A/a/x.py") != document_key("file:///d%3A/a/x.py")
    assert document_key("file:///home/a/X.py") != document_key("file:///home/a/x.py")  # POSIX paths are case-sensitive
    assert document_key("file:///a%20b.py") != document_key("file:///a_b.py")
    assert document_key("untitled:Untitled-1") != document_key("untitled:Untitled-2")


def test_unc_uris_keep_the_host_and_lower_case_it():
    assert document_key("file://FileServer/share/t%C3%A5sk.py") == document_key("file://fileserver/share/tåsk.py")
    assert document_key("file://fileserver/share/x.py") != document_key("file:///share/x.py")


def test_windows_paths_from_uris():
    assert uri_to_path("file:///c%3A/Users/dev/%C3%85sa%20projekt/t.py", windows=True) == \
        "C:\\Users\\dev\\Åsa projekt\\t.py"
    assert uri_to_path("file://fileserver/share/tasks/t.py", windows=True) == "\\\\fileserver\\share\\tasks\\t.py"
    assert uri_to_path("file:///c:/", windows=True) == "C:\\"


def test_posix_paths_from_uris():
    assert uri_to_path("file:///home/dev/%C3%85sa%20projekt/t.py", windows=False) == "/home/dev/Åsa projekt/t.py"
    # A Windows URI seen on Linux stays absolute: nothing is looked up relative to the working folder.
    assert uri_to_path("file:///c%3A/Users/dev/t.py", windows=False) == "/c:/Users/dev/t.py"
    assert uri_to_path("file://fileserver/share/t.py", windows=False) == "//fileserver/share/t.py"


@pytest.mark.parametrize("uri", ["untitled:Untitled-1", "vscode-notebook-cell:/x.ipynb#W0", "file://", "", "%%%",
                                 "file://[broken/x.py"])
def test_uris_without_a_file_path_map_to_none_or_a_key_without_raising(uri):
    document_key(uri)
    if not uri.startswith("file:") or uri == "file://":
        assert uri_to_path(uri) is None


@pytest.mark.parametrize("path, windows", [
    ("C:\\Users\\dev\\Åsa projekt\\t.py", True),
    ("\\\\fileserver\\share\\t.py", True),
    ("/home/dev/Åsa projekt/tåsk #1.py", False),
])
def test_path_to_uri_round_trips(path, windows):
    uri = path_to_uri(path, windows=windows)
    assert "%" in uri or "fileserver" in uri  # encoded the way VS Code sends it
    assert uri_to_path(uri, windows=windows) == path


def test_vs_code_spelling_of_a_drive_path():
    assert path_to_uri("C:\\Users\\Åsa\\t.py", windows=True) == "file:///c%3A/Users/%C3%85sa/t.py"


def test_document_map_finds_any_spelling():
    documents = DocumentMap()
    documents["file:///c%3A/x/y.py"] = 1
    assert documents["file:///C:/x/y.py"] == 1
    assert "file:///c:/x/y.py" in documents
    assert documents.get("file:///C%3A/x/y.py") == 1
    assert documents.pop("file:///C:/x/y.py") == 1
    assert not documents


def test_is_inside_a_folder_in_any_spelling():
    assert is_inside("file:///c%3A/Users/%C3%85sa/ws/t.py", "file:///C:/Users/Åsa/ws")
    assert is_inside("file:///c%3A/Users/%C3%85sa/ws/t.py", "file:///c%3A/Users/%C3%85sa/ws/")
    assert not is_inside("file:///c%3A/Users/%C3%85sa/ws2/t.py", "file:///C:/Users/Åsa/ws")
    assert not is_inside("file:///x.py", "")
