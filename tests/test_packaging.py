"""Publishing: the Python package installs the CLI without Node, and the
extension's manifest takes its addresses from the one place they are set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import vsix_metadata  # noqa: E402

TASK = (
    "from lime_task import task\n\n\n"
    "@task\n"
    "def count_companies(app):\n"
    '    """Count companies."""\n'
    "    return len(list(app.limetypes.company.get_all()))\n"
)


def _manifest() -> dict:
    return json.loads((ROOT / "package.json").read_text(encoding="utf-8"))


def test_urls_come_from_pyproject_only(tmp_path):
    urls = vsix_metadata.project_urls()
    repository = urls["Repository"].rstrip("/")
    # package.json holds no copy that could go stale: the build stamps it.
    assert not {"repository", "homepage", "bugs"} & set(_manifest())
    staged = tmp_path / "package.json"
    shutil.copy(ROOT / "package.json", staged)
    vsix_metadata.stamp_manifest(staged)
    stamped = json.loads(staged.read_text(encoding="utf-8"))
    assert stamped["repository"]["url"] == urls["Repository"]
    assert stamped["homepage"] == urls["Homepage"]
    assert stamped["bugs"]["url"] == urls["Issues"]
    from lime_task_lint.framework import all_rules

    assert all_rules().get("LIME104").url().startswith(repository + "/")
    # The publisher is the repository's owner (the Open VSX namespace to claim).
    assert urlparse(repository).path.strip("/").split("/")[0] == _manifest()["publisher"]


def test_bundle_metadata_carries_the_urls(tmp_path):
    info = vsix_metadata.write_dist_info(tmp_path)
    text = (info / "METADATA").read_text(encoding="utf-8")
    for label, url in vsix_metadata.project_urls().items():
        assert f"Project-URL: {label}, {url}\n" in text


def test_manifest_is_ready_for_the_marketplaces():
    manifest = _manifest()
    assert manifest["publisher"] and manifest["publisher"] != "undefined"
    assert "Linters" in manifest["categories"] and len(manifest["keywords"]) >= 3
    # No proposed APIs: Open VSX-based editors and the Marketplace refuse them.
    assert "enabledApiProposals" not in manifest
    # An icon of at least 128x128 (vsce's minimum), PNG (vsce refuses SVG).
    icon = (ROOT / manifest["icon"]).read_bytes()
    assert icon[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", icon[16:24])
    assert width >= 128 and height >= 128
    # engines.vscode no higher than the language client needs, and the API
    # types no newer than engines (vsce refuses that).
    client = json.loads((ROOT / "node_modules" / "vscode-languageclient" / "package.json").read_text(encoding="utf-8")) \
        if (ROOT / "node_modules" / "vscode-languageclient").is_dir() else None

    def floor(spec: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.sub(r"^[\^~>=]+", "", spec).split("."))

    ours = floor(manifest["engines"]["vscode"])
    assert floor(manifest["devDependencies"]["@types/vscode"]) <= ours
    if client is None:
        pytest.skip("node_modules missing: vscode-languageclient's engines cannot be compared (run npm ci)")
    assert ours == floor(client["engines"]["vscode"])


def _clean_copy(dest: Path) -> Path:
    """The committed tree (HEAD), as a fresh clone has it: work in progress
    elsewhere in the working tree cannot leak in or break it."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no committed tree to copy")
    dest.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def _no_node_path(tmp: Path) -> str:
    """PATH whose first entries are a `node` and an `npm` that fail loudly."""
    trap = tmp / "no-node"
    trap.mkdir()
    for tool in ("node", "npm", "npx"):
        script = trap / tool
        script.write_text(f"#!/bin/sh\necho 'the Python package must build without {tool}' >&2\nexit 97\n")
        script.chmod(0o755)
    return os.pathsep.join([str(trap), os.environ.get("PATH", "")])


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_wheel_and_sdist_install_the_cli_without_node(tmp_path):
    """`pip install` of the sdist and of the wheel built from it, each in a fresh
    venv from a clean copy, gives a working `lime-task-lint check`."""
    src = _clean_copy(tmp_path / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env["PATH"] = _no_node_path(tmp_path)
    pip_quiet = ["-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]

    # sdist from the clean copy, then the wheel from the unpacked sdist (what
    # `python -m build` does), so the sdist is shown to be complete.
    builder = tmp_path / "builder"
    _run([sys.executable, "-m", "venv", str(builder)], env=env)
    bpy = str(builder / "bin" / "python")
    _run([bpy, *pip_quiet, "install", "setuptools>=77"], env=env)
    dist = tmp_path / "dist"
    hook = "import sys; from setuptools import build_meta as b; print(getattr(b, sys.argv[1])(sys.argv[2]))"
    sdist = dist / _run([bpy, "-c", hook, "build_sdist", str(dist)], cwd=src, env=env).stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked")  # our own archive, just built
    unpacked = next((tmp_path / "unpacked").iterdir())
    wheel = dist / _run([bpy, "-c", hook, "build_wheel", str(dist)], cwd=unpacked, env=env).stdout.strip().splitlines()[-1]
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name

    sample = tmp_path / "project" / "tasks.py"
    sample.parent.mkdir()
    sample.write_text(TASK, encoding="utf-8")
    for label, artefact in (("wheel", wheel), ("sdist", sdist)):
        venv = tmp_path / f"venv-{label}"
        _run([sys.executable, "-m", "venv", str(venv)], env=env)
        _run([str(venv / "bin" / "python"), *pip_quiet, "install", str(artefact)], env=env)
        cli = venv / "bin" / "lime-task-lint"
        assert cli.is_file(), f"{label}: no lime-task-lint script"
        result = subprocess.run([str(cli), "check", str(sample)], capture_output=True, text=True,
                                timeout=120, env=env, cwd=sample.parent)
        assert result.returncode == 1, f"{label}: {result.stdout}\n{result.stderr}"
        assert "LIME104" in result.stdout, f"{label}: {result.stdout}"
        # The rule link in the installed package comes from its metadata.
        docs = subprocess.run([str(venv / "bin" / "python"), "-I", "-c",
                               "from lime_task_lint.framework import all_rules; print(all_rules().get('LIME104').url())"],
                              capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
        assert docs.stdout.startswith(vsix_metadata.project_urls()["Repository"]), docs.stdout + docs.stderr
