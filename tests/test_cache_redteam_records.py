"""Red-team tests for the result cache's per-caller records of the "incoming
roles" answer (commit 0da84f0), the shared workspace (304169e), importers
searched before parsing (63e3cf8), modules noted missing outside the roots
(873957c) and cross-module helper fixes read back from the cache.

Each test fills the cache, changes the project, then runs the cached check
FIRST and an uncached one, and requires the same JSON (``_assert_same``).
Tests marked HOLDS guard inputs that pass; those marked BREAK failed on 1cbf8af
(what is wrong and what is right is said in each).  The CR LF conversion,
git's ignore files and the environment's package folders are noted now (kinds
"exact text", "git ignored" and "search folders", asked before the workspace
digest, kept even for entries that asked jedi); a module created behind a
folder link predates this session and is a strict xfail.  The per-caller records themselves held
against every Python-content change tried (here and ~2,500 random edit steps of
callers, re-exports, aliases and helper modules); the breaks are inputs no entry
notes: a CR LF conversion (digests normalise newlines, cross-module fixes do not),
git's ignore files, the set of search folders (.pth files, a .venv created later)
and files created behind a symbolic link to a folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_cache_redteam import Project, project  # noqa: F401 (the fixture, shared)


def _assert_same(project, change) -> tuple[str, str]:
    project.run()  # fill the cache
    change()
    cached, fresh = project.cached_and_fresh()
    assert project.codes(cached) == project.codes(fresh)
    assert json.loads(cached) == json.loads(fresh)
    return cached, fresh


ROLE_HELPERS = ("def load_all(lt):\n    return list(lt.get_all())\n\n\n"
                "def save_each(w, objs):\n    for o in objs:\n        w.add(o)\n        w.commit()\n")
COMMIT_IN_LOOP = ("LIME201", "helpers.py", 8)


def _caller(prefix: str, call: str = "save_each(uow, [])", imports: str = "from .helpers import save_each\n") -> str:
    return (f"from lime_task import task\n\n{imports}{prefix}\n\n"
            f"@task\ndef t(app):\n    uow = app.unit_of_work()\n    {call}\n")


# -- cross-module helper fixes ----------------------------------------------------------

PEOPLE = ("from lime_filter import EqualsOperator, Filter\n\n\n"
          "def find_person(app, email):\n"
          "    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator('email', email))):\n"
          "        return person\n"
          "    return None\n")
TASKS = ("from lime_task import task\n\nfrom acme.people import find_person\n\n\n"
         "@task\ndef names(app, emails: list):\n    out = []\n    for email in emails:\n"
         "        out.append(find_person(app, email))\n    return out\n")


def _other_file_edits(out: str) -> list:
    return [e for f in json.loads(out) if f.get("fix") for e in f["fix"]["edits"] if "filename" in e]


def test_helper_fix_after_the_helper_module_switches_to_crlf(project):
    # BREAK.  The helper's edits (and the digest they apply to) are computed on the
    # module's exact bytes (``current_text``: CR LF kept), but the read is noted with
    # ``Workspace.text_of``'s digest (universal newlines): LF -> CR LF leaves that
    # digest equal, the cached tasks.py entry is reused with a fix for the LF text,
    # and the JSON output drops it (its digest no longer matches the file).
    # Right: the fresh run's fix, with its edits of people.py ("filename").
    project.write({"acme/__init__.py": "", "acme/people.py": PEOPLE, "acme/tasks.py": TASKS})
    assert _other_file_edits(project.run("--unsafe-fixes"))
    _assert_same(project, lambda: project.write({"acme/people.py": PEOPLE.replace("\n", "\r\n").encode()}))


# -- modules found later outside the roots ------------------------------------------------

HELP_COMMIT = ("def save(app, deal):\n    uow = app.unit_of_work()\n    uow.add(deal)\n    uow.commit()\n")


def _deals(source: str) -> str:
    """A task that calls ``save`` once per item: LIME201 when ``save`` commits."""
    return (f"from lime_task import task\n\nfrom {source} import save\n\n\n"
            "@task\ndef refresh(app, ids):\n"
            "    for deal_id in ids:\n        save(app, app.limetypes.deal.get(deal_id))\n")


SITE = ".venv/lib/python3.11/site-packages"


def test_pth_file_added_to_the_projects_venv(project):
    # BREAK.  extlib is nowhere when the cache is filled; the .venv's site-packages
    # is searched and its candidates noted missing, but a .pth file added later
    # names a new search folder (an editable install of vendor/) that was never
    # searched, so nothing noted changes (the listing skips .venv, and vendor/extlib.py
    # was listed already).  Cached: no LIME201.  Right (fresh): LIME201 on deals.py
    # row 9, save() now resolves to vendor/extlib.py, which commits.
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals("extlib"),
                   "vendor/extlib.py": HELP_COMMIT, f"{SITE}/keep.txt": ""})
    assert ("LIME201", "deals.py", 9) not in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({f"{SITE}/vendor.pth": str(project.root / "vendor") + "\n"}))
    assert ("LIME201", "deals.py", 9) in project.codes(fresh)


def test_projects_venv_created_after_the_cache_was_filled(project):
    # BREAK.  No .venv when the cache is filled: no site-packages folder is searched,
    # so no candidate is noted missing there.  Creating .venv with extlib.py
    # installed changes nothing the entry checks.  Cached: no LIME201.  Right: LIME201.
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals("extlib")})
    assert ("LIME201", "deals.py", 9) not in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({f"{SITE}/extlib.py": HELP_COMMIT}))
    assert ("LIME201", "deals.py", 9) in project.codes(fresh)


def test_helper_fix_after_git_starts_ignoring_the_helper_module(project):
    # BREAK.  A fix may edit another module only while git does not ignore it
    # (helper_module.kept_out); .gitignore is not noted by the analysis and is no
    # Python file (not in the listing).  Add "acme/people.py" to .gitignore: the
    # cached tasks.py entry keeps its fix with edits of people.py.  Right (fresh):
    # the finding stays, its fix is None (ignored code is never edited).
    project.write({".git/HEAD": "ref: refs/heads/main\n", "acme/__init__.py": "", "acme/people.py": PEOPLE,
                   "acme/tasks.py": TASKS, "acme/other.py": "X = 1\n"})
    assert _other_file_edits(project.run("--unsafe-fixes"))
    _, fresh = _assert_same(project, lambda: project.write({".gitignore": "acme/people.py\n"}))
    assert not _other_file_edits(fresh)


def test_helper_fix_after_the_helper_module_is_edited(project):
    # HOLDS: an edit of the helper's module (a line added above the helper) moves its
    # edits; the cached entry is not reused with the old positions.
    project.write({"acme/__init__.py": "", "acme/people.py": PEOPLE, "acme/tasks.py": TASKS})
    _assert_same(project, lambda: project.write({"acme/people.py": "import os\n" + PEOPLE}))


def test_helper_fix_after_a_comment_is_added_to_the_helper_module(project):
    # HOLDS: a comment-only edit of the helper module changes the edits' rows; the
    # cached fix must carry the new positions (or the entry must be rechecked).
    project.write({"acme/__init__.py": "", "acme/people.py": PEOPLE, "acme/tasks.py": TASKS})
    _assert_same(project, lambda: project.write({"acme/people.py": "# helpers\n" + PEOPLE}))


# -- incoming roles: per-caller records ----------------------------------------------------
# The helpers' entry (pkg/helpers.py) depends on the roles callers pass to save_each:
# a unit of work -> LIME201 on helpers.py row 8 (a commit per item).

def _roles_project(project: Project, files: dict) -> None:
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": ROLE_HELPERS, **files})


def test_caller_rebinds_the_argument_earlier_in_its_function(project):
    # HOLDS: the caller's text changes (its record's own digest), so it is read again.
    _roles_project(project, {"pkg/caller.py": _caller("")})
    assert COMMIT_IN_LOOP in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write(
        {"pkg/caller.py": _caller("").replace("    save_each(uow", "    uow = app\n    save_each(uow")}))
    assert COMMIT_IN_LOOP not in project.codes(fresh)


def test_caller_imports_through_a_module_that_stops_reexporting(project):
    # HOLDS: caller.py is unchanged; pkg/api.py now defines its own save_each, so the
    # call no longer reaches helpers.py.  api.py is in the caller's record.
    _roles_project(project, {"pkg/api.py": "from .helpers import save_each\n",
                             # the comment makes it a candidate importer of helpers (only a package's
                             # __init__.py re-export widens the search: an analysis limit, not the cache's)
                             "pkg/caller.py": _caller("", imports="from .api import save_each\n") + "\n# helpers\n"})
    assert COMMIT_IN_LOOP in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write(
        {"pkg/api.py": "def save_each(w, objs):\n    return None\n"}))
    assert COMMIT_IN_LOOP not in project.codes(fresh)


def test_caller_imports_through_a_module_that_starts_reexporting(project):
    # HOLDS: the reverse; helpers.py had no role from caller.py before.
    _roles_project(project, {"pkg/api.py": "def save_each(w, objs):\n    return None\n",
                             "pkg/caller.py": _caller("", imports="from .api import save_each\n")
                             + "\n# helpers\n"})
    assert COMMIT_IN_LOOP not in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({"pkg/api.py": "from .helpers import save_each\n"}))
    assert COMMIT_IN_LOOP in project.codes(fresh)


def test_caller_module_alias_and_from_dot_import(project):
    # HOLDS: `import pkg.helpers as h` and `from . import helpers` callers; one of
    # them stops passing a unit of work while the other never did.
    alias = _caller("", call="h.save_each(uow, [])", imports="import pkg.helpers as h\n")
    dotted = _caller("", call="helpers.save_each(None, [])", imports="from . import helpers\n")
    _roles_project(project, {"pkg/a.py": alias, "pkg/b.py": dotted})
    assert COMMIT_IN_LOOP in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({"pkg/a.py": alias.replace("(uow,", "(None,")}))
    assert COMMIT_IN_LOOP not in project.codes(fresh)


def test_two_calls_in_one_caller_swap_roles(project):
    # HOLDS: the first call's role wins; swapping the calls' order changes the answer.
    two = _caller("", call="save_each(None, [])\n    save_each(uow, [])")
    _roles_project(project, {"pkg/caller.py": two})
    _assert_same(project, lambda: project.write(
        {"pkg/caller.py": _caller("", call="save_each(uow, [])\n    save_each(None, [])")}))


def test_caller_in_a_subpackage_through_the_package_reexport(project):
    # HOLDS: pkg/sub/caller.py uses `from .. import save_each`; pkg/__init__.py switches
    # the re-export to helpers2 (caller unchanged, its record read pkg/__init__.py).
    # "# pkg": `from .. import` never names the package, and only files naming it are
    # searched (a fresh analysis misses this caller without it; not the cache's doing)
    caller = _caller("", imports="from .. import save_each\n") + "\n# pkg\n"
    project.write({"pkg/__init__.py": "from .helpers import save_each\n", "pkg/helpers.py": ROLE_HELPERS,
                   "pkg/helpers2.py": ROLE_HELPERS, "pkg/sub/__init__.py": "", "pkg/sub/caller.py": caller})
    assert COMMIT_IN_LOOP in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({"pkg/__init__.py": "from .helpers2 import save_each\n"}))
    assert COMMIT_IN_LOOP not in project.codes(fresh)


def test_caller_deleted_renamed_and_added(project):
    # HOLDS: the listing changes each time.
    _roles_project(project, {"pkg/caller.py": _caller("")})
    _assert_same(project, lambda: (project.root / "pkg/caller.py").rename(project.root / "pkg/renamed.py"))
    _assert_same(project, lambda: project.write({"pkg/renamed.py": None}))
    _assert_same(project, lambda: project.write({"pkg/again.py": _caller("")}))


def test_caller_whitespace_only_edit_stays_and_semantic_edit_does_not(project):
    # HOLDS: a comment added to the caller keeps the answer; then the role changes.
    _roles_project(project, {"pkg/caller.py": _caller("")})
    _assert_same(project, lambda: project.write({"pkg/caller.py": "# note\n" + _caller("")}))
    _assert_same(project, lambda: project.write({"pkg/caller.py": "# note\n" + _caller("").replace("(uow,", "(None,")}))


def test_caller_role_from_an_annotation(project):
    # HOLDS: the role comes from the caller's parameter annotation, which changes.
    annotated = ("from lime_application import LimeApplication\n\nfrom .helpers import load_all\n\n\n"
                 "def run(x: LimeApplication):\n    return load_all(x.limetypes.deal)\n")
    helpers = ("def load_all(lt):\n    out = []\n    for i in range(3):\n"
               "        out.append(list(lt.get_all()))\n    return out\n")
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": helpers, "pkg/caller.py": annotated})
    _assert_same(project, lambda: project.write({"pkg/caller.py": annotated.replace(": LimeApplication", "")}))


def test_same_caller_content_in_two_places(project):
    # HOLDS: two caller files with the same text; one of them changes.
    _roles_project(project, {"pkg/a.py": _caller(""), "pkg/b.py": _caller("")})
    _assert_same(project, lambda: project.write({"pkg/a.py": _caller("").replace("(uow,", "(None,")}))
    _assert_same(project, lambda: project.write({"pkg/b.py": _caller("").replace("(uow,", "(None,")}))


def test_symlinked_caller_retargeted(project):
    # HOLDS: pkg/caller.py is a link to one of two callers outside the package; retargeting it.
    if not hasattr(os, "symlink"):
        pytest.skip("no symbolic links")
    _roles_project(project, {"callers/with_uow.py": _caller("").replace("from .helpers", "from pkg.helpers"),
                             "callers/none.py": _caller("").replace("from .helpers", "from pkg.helpers")
                             .replace("(uow,", "(None,")})
    os.symlink(project.root / "callers/with_uow.py", project.root / "pkg/caller.py")

    def retarget():
        (project.root / "pkg/caller.py").unlink()
        os.symlink(project.root / "callers/none.py", project.root / "pkg/caller.py")
    _assert_same(project, retarget)


def test_helper_fix_follows_the_role_another_caller_passes_to_the_helper(project):
    # HOLDS: the helper's first parameter is `a` (no usual name), so that it is the
    # application comes from its callers (incoming roles: the first caller in path order
    # wins).  acme/early.py passes app.limetypes as `a` at first, then the application:
    # the tasks.py fix depends on that answer, kept with tasks.py's entry.
    people = PEOPLE.replace("def find_person(app, email)", "def find_person(a, email)") \
        .replace("app.limetypes.person", "a.limetypes.person")
    early = ("from acme.people import find_person\n\n\n"
             "def one(app, email):\n    return find_person(app.limetypes, email)\n")
    project.write({"acme/__init__.py": "", "acme/people.py": people, "acme/tasks.py": TASKS, "acme/early.py": early})
    assert not _other_file_edits(project.run())
    _, fresh = _assert_same(project, lambda: project.write(
        {"acme/early.py": early.replace("app.limetypes, email", "app, email")}))
    assert _other_file_edits(fresh)
    _, fresh = _assert_same(project, lambda: project.write({"acme/early.py": early}))
    assert not _other_file_edits(fresh)


def test_helper_fix_after_git_info_exclude_names_the_helper_module(project):
    # BREAK (as the .gitignore test): .git/info/exclude is read by kept_out but never
    # noted.  Cached: the fix with people.py edits.  Right (fresh): fix None.
    project.write({".git/HEAD": "ref: refs/heads/main\n", "acme/__init__.py": "", "acme/people.py": PEOPLE,
                   "acme/tasks.py": TASKS})
    _, fresh = _assert_same(project, lambda: project.write({".git/info/exclude": "acme/people.py\n"}))
    assert not _other_file_edits(fresh)


@pytest.mark.xfail(strict=True, reason="folder symbolic links are not followed by the listing, and candidates under the root are not recorded as missing (older than this session)")
def test_module_created_behind_a_symlinked_folder(project):
    # BREAK.  shared/ is a symbolic link to a folder outside the root (a library shared
    # by several projects).  `from shared.helpers import save` finds nothing when the
    # cache is filled; helpers.py is then created in the link's target.  The walks that
    # make the listing do not follow folder links, the link itself is unchanged, and a
    # candidate under the root is never noted missing (only unlisted search folders'
    # are), so the cached deals.py entry is reused.  Cached: no LIME201.  Right
    # (fresh): LIME201 on deals.py row 9, save() resolves through the link and commits.
    if not hasattr(os, "symlink"):
        pytest.skip("no symbolic links")
    outside = project.root.parent / f"{project.root.name}-shared"
    (outside / "shared").mkdir(parents=True)
    (outside / "shared" / "__init__.py").write_text("", encoding="utf-8")
    os.symlink(outside / "shared", project.root / "shared")
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals("shared.helpers")})
    assert ("LIME201", "deals.py", 9) not in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: (outside / "shared" / "helpers.py").write_text(HELP_COMMIT, encoding="utf-8"))
    assert ("LIME201", "deals.py", 9) in project.codes(fresh)


def test_projects_venv_removed_after_the_cache_was_filled(project):
    # HOLDS: the module found in the .venv was read (its digest noted); deleting the
    # environment makes it "missing".
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals("extlib"), f"{SITE}/extlib.py": HELP_COMMIT})
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({f"{SITE}/extlib.py": None}))
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)


def test_module_edited_behind_a_symlinked_folder(project):
    # HOLDS: a module found through the link was read, so editing it is noticed.
    if not hasattr(os, "symlink"):
        pytest.skip("no symbolic links")
    outside = project.root.parent / f"{project.root.name}-shared"
    (outside / "shared").mkdir(parents=True)
    (outside / "shared" / "helpers.py").write_text(HELP_COMMIT, encoding="utf-8")
    os.symlink(outside / "shared", project.root / "shared")
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals("shared.helpers")})
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: (outside / "shared" / "helpers.py").write_text(
        HELP_COMMIT.replace("uow.commit()", "return uow"), encoding="utf-8"))
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)
