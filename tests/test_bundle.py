"""The Python half of the .vsix, as users get it.

``scripts/build-vsix.sh --stage-python DIR`` stages ``DIR/server`` and
``DIR/bundled/libs`` exactly as the .vsix ships them; the extension starts the
server as ``<python> -m lime_task_lint`` with ``PYTHONPATH=libs:server``. These
tests run that on the oldest supported Python (3.10, which has no ``tomllib``)
and on the newest one on the machine, found by ``scripts/find_python.py``.
A missing interpreter skips its tests with the reason (``pytest -rs`` shows it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from email.parser import HeaderParser
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from pytest_lsp import ClientServerConfig, client_capabilities

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from lsp.helpers import next_diagnostics, open_document

ROOT = Path(__file__).resolve().parents[1]

_spec = importlib.util.spec_from_file_location("find_python", ROOT / "scripts" / "find_python.py")
find_python = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(find_python)
FLOOR = find_python.supported_floor()

# radon's dependencies that only its command line (radon.cli, which the server
# never imports) uses; scripts/build-vsix.sh leaves them out of the bundle.
RADON_CLI_ONLY = {"mando", "colorama"}


@pytest.fixture(scope="session")
def staged(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("vsix-stage")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-vsix.sh"), "--stage-python", str(dest)],
        capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"build-vsix.sh --stage-python failed:\n{result.stdout}\n{result.stderr}")
    return dest


def _python(kind: str) -> str:
    """The interpreter for ``kind`` ("oldest"/"newest"), or skip saying why."""
    env_name = {"oldest": "LIME_PYTHON_OLDEST", "newest": "LIME_PYTHON_NEWEST"}[kind]
    found = os.environ.get(env_name) or (
        find_python.find(FLOOR[1]) if kind == "oldest" else find_python.newest()
    )
    if not found:
        what = f"Python {FLOOR[0]}.{FLOOR[1]}" if kind == "oldest" else "a supported Python"
        pytest.skip(f"no {what} on this machine (looked in pyenv's versions and on PATH; or set {env_name})")
    return found


@pytest.fixture(params=["oldest", "newest"])
def python(request) -> str:
    return _python(request.param)


def _dist_infos(libs: Path) -> dict[str, HeaderParser]:
    out = {}
    for info in libs.glob("*.dist-info"):
        meta = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        out[canonicalize_name(meta["Name"])] = (info, meta)
    return out


def _server_env(stage: Path) -> dict[str, str]:
    """The environment the extension gives the server (client/src/extension.ts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(stage / "bundled" / "libs"), str(stage / "server")]),
        "PYTHONNOUSERSITE": "1",
        "PYTHONSAFEPATH": "1",
        "PYTHONIOENCODING": "utf-8",
    })
    return env


def test_bundled_wheels_are_pure_python_and_accept_every_supported_version(staged):
    libs = staged / "bundled" / "libs"
    infos = _dist_infos(libs)
    assert "pygls" in infos and "tomli" in infos
    versions = [f"3.{minor}.0" for minor in range(FLOOR[1], find_python.NEWEST_MINOR + 1)]
    for name, (info, meta) in infos.items():
        if name == "lime-task-lint":
            continue
        tags = HeaderParser().parsestr((info / "WHEEL").read_text(encoding="utf-8")).get_all("Tag")
        # Pure Python (no ABI, any platform), and a tag for every Python 3 (not one CPython minor).
        assert tags and all(t.endswith("-none-any") for t in tags), (name, tags)
        assert any("py3" in t.split("-")[0].split(".") for t in tags), (name, tags)
        requires = SpecifierSet(meta.get("Requires-Python") or "")
        for version in versions:
            assert requires.contains(version), f"{name} requires Python {requires}, not {version}"
    native = [p for p in libs.rglob("*") if p.suffix in (".so", ".pyd", ".dylib")]
    assert native == []


def test_bundle_holds_the_runtime_dependency_closure_for_the_oldest_python(staged):
    """Every bundled distribution is needed on the oldest Python, and every needed one is bundled."""
    infos = _dist_infos(staged / "bundled" / "libs")
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    environment = {"python_version": f"{FLOOR[0]}.{FLOOR[1]}", "python_full_version": f"{FLOOR[0]}.{FLOOR[1]}.0", "extra": ""}
    needed: dict[str, str] = {}
    todo = [(Requirement(r), "pyproject.toml") for r in project["dependencies"]]
    while todo:
        requirement, wanted_by = todo.pop()
        name = canonicalize_name(requirement.name)
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        if name in needed or (wanted_by == "radon" and name in RADON_CLI_ONLY):
            continue
        needed[name] = wanted_by
        assert name in infos, f"{name} (required by {wanted_by}) is not bundled"
        info, meta = infos[name]
        assert requirement.specifier.contains(meta["Version"], prereleases=True), (name, str(requirement.specifier), meta["Version"])
        todo += [(Requirement(r), name) for r in meta.get_all("Requires-Dist") or []]
    unused = sorted(set(infos) - set(needed) - {"lime-task-lint"})
    assert unused == [], f"bundled but required by nothing: {unused}"
    assert not RADON_CLI_ONLY & set(infos)


def test_every_server_module_imports_from_the_bundle_alone(staged, python):
    """With site-packages switched off (-S), the bundle must supply every import."""
    script = textwrap.dedent("""
        import importlib, json, pkgutil, sys
        sys.path[:0] = sys.argv[1:3]
        import lime_task_lint
        names = [m.name for m in pkgutil.walk_packages(lime_task_lint.__path__, "lime_task_lint.")
                 if not m.name.endswith("__main__")]
        for name in names:
            importlib.import_module(name)
        # The radon modules the rules import lazily (radon/__init__ imports its CLI only in main()).
        for name in ("radon.metrics", "radon.complexity", "radon.visitors", "radon.raw"):
            importlib.import_module(name)
        print(json.dumps({"modules": len(names), "radon_cli": "radon.cli" in sys.modules, "file": lime_task_lint.__file__}))
    """)
    result = subprocess.run(
        [python, "-S", "-c", script, str(staged / "bundled" / "libs"), str(staged / "server")],
        capture_output=True, text=True, timeout=120, cwd=staged,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["modules"] > 20
    assert report["radon_cli"] is False
    assert report["file"].startswith(str(staged / "server"))


TASK = (
    "from lime_task import task\n\n\n"
    "@task\n"
    "def count_companies(app):\n"
    "    \"\"\"Count companies.\"\"\"\n"
    "    return len(list(app.limetypes.company.get_all()))\n"
)


async def test_bundled_server_applies_pyproject_settings(staged, python, tmp_path):
    """The server from the bundle, on this Python, reads [tool.lime-task-lint]
    (tomli on 3.10): LIME104 is ignored in the folder whose pyproject says so,
    and reported in a folder without one."""
    configured, plain = tmp_path / "configured", tmp_path / "plain"
    configured.mkdir()
    plain.mkdir()
    (configured / "pyproject.toml").write_text('[tool.lime-task-lint]\nignore = ["LIME104"]\n', encoding="utf-8")
    config = ClientServerConfig(server_command=[python, "-m", "lime_task_lint"], server_env=_server_env(staged))
    client = await config.start()
    try:
        await client.initialize_session(lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=p.as_uri(), name=p.name) for p in (configured, plain)],
            initialization_options={"globalSettings": {"debounceMs": 0}},
        ))
        codes = {}
        for folder in (plain, configured):
            uri = open_document(client, folder / "task.py", TASK)
            diagnostics = (await next_diagnostics(client, uri, timeout=60)).diagnostics
            codes[folder.name] = {str(d.code) for d in diagnostics}
        assert "LIME104" in codes["plain"], codes
        assert "LIME104" not in codes["configured"], codes
        # The rest of the rules still run there: the setting ignored one rule, not the file.
        assert codes["configured"] == codes["plain"] - {"LIME104"}, codes
        await client.shutdown_session()
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()


def test_third_party_notices_cover_everything_bundled(staged):
    """THIRD_PARTY_NOTICES is what scripts/vsix_metadata.py generates from the bundle
    (so it cannot go stale) and names every bundled package with its licence text."""
    if not (ROOT / "node_modules" / "vscode-languageclient").is_dir():
        pytest.skip("node_modules is missing, so the client's npm licences cannot be read: run `npm ci` (scripts/test does)")
    libs = staged / "bundled" / "libs"
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "vsix_metadata.py"), "notices", str(libs), "--check", str(ROOT / "THIRD_PARTY_NOTICES")],
        capture_output=True, text=True, timeout=60,
    )
    assert check.returncode == 0, check.stderr
    notices = (ROOT / "THIRD_PARTY_NOTICES").read_text(encoding="utf-8")
    assert "no licence file" not in notices
    for name, (info, meta) in _dist_infos(libs).items():
        if name == "lime-task-lint":
            continue
        assert f"\n{meta['Name']} {meta['Version']} (Python) - " in notices, name
        for licence in info.rglob("LICEN*"):
            assert licence.read_text(encoding="utf-8").strip() in notices, licence
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    bundled_npm = {key.rsplit("node_modules/", 1)[-1]: info["version"] for key, info in lock.items() if key and not info.get("dev")}
    assert "vscode-languageclient" in bundled_npm
    for name, version in bundled_npm.items():
        assert f"\n{name} {version} (npm) - " in notices, name
