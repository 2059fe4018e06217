"""Metadata steps of the .vsix build (called by scripts/build-vsix.sh).

    python scripts/vsix_metadata.py dist-info LIBS       # lime_task_lint's own dist-info in the bundle
    python scripts/vsix_metadata.py manifest PACKAGE_JSON  # stamp repository/homepage/bugs into it
    python scripts/vsix_metadata.py notices LIBS OUT     # THIRD_PARTY_NOTICES of the bundle
    python scripts/vsix_metadata.py notices LIBS --check FILE   # exit 1 when FILE is out of date

The project's URLs come from one place, ``[project.urls]`` in pyproject.toml.
The notices list every Python distribution installed in LIBS (from its
``*.dist-info``) and every npm package esbuild may bundle into the client (the
non-dev packages of package-lock.json), each with its licence texts.
"""

from __future__ import annotations

import argparse
import json
import sys
from email.parser import HeaderParser
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
OWN_DISTRIBUTION = "lime-task-lint"
LICENCE_PREFIXES = ("licen", "copying", "notice")


def pyproject() -> dict:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def project_urls() -> dict[str, str]:
    """``[project.urls]``: the project's single source of its web addresses."""
    return dict(pyproject()["urls"])


def write_dist_info(libs: Path) -> Path:
    """Writes ``lime_task_lint-<version>.dist-info/METADATA`` into ``libs``.

    The server's package is copied from source (not pip-installed) into the
    bundle; this gives it the metadata an install would (name, version,
    Requires-Python, Project-URL), which ``lime_task_lint.project`` reads.
    """
    project = pyproject()
    info = libs / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
        f"License-Expression: {project['license']}",
    ]
    lines += [f"Project-URL: {label}, {url}" for label, url in project["urls"].items()]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return info


def stamp_manifest(package_json: Path) -> None:
    """Sets ``repository``, ``homepage`` and ``bugs`` of a (staged) package.json."""
    urls = project_urls()
    manifest = json.loads(package_json.read_text(encoding="utf-8"))
    manifest["repository"] = {"type": "git", "url": urls["Repository"]}
    manifest["homepage"] = urls["Homepage"]
    manifest["bugs"] = {"url": urls["Issues"]}
    package_json.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _is_licence_file(path: Path) -> bool:
    return path.is_file() and path.name.lower().startswith(LICENCE_PREFIXES)


def _licence_name(meta) -> str:
    expression = meta.get("License-Expression")
    if expression:
        return expression.strip()
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return ", ".join(classifiers)
    licence = (meta.get("License") or "").strip()
    # Some projects put the whole licence text in License: keep its first line only.
    return licence.splitlines()[0] if licence else "UNKNOWN"


def python_entries(libs: Path) -> list[dict]:
    """One entry per ``*.dist-info`` in ``libs`` (the server's own excluded)."""
    entries = []
    for info in sorted(libs.glob("*.dist-info"), key=lambda p: p.name.lower()):
        meta = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        name = meta["Name"]
        if name.lower().replace("_", "-") == OWN_DISTRIBUTION:
            continue
        files = sorted(p for p in info.rglob("*") if _is_licence_file(p))
        # Licences of code vendored inside the package (e.g. jedi's copy of typeshed).
        top_level = info / "top_level.txt"
        packages = top_level.read_text(encoding="utf-8").split() if top_level.is_file() else []
        for package in packages:
            if (libs / package).is_dir():
                files += sorted(p for p in (libs / package).rglob("*") if _is_licence_file(p))
        entries.append({
            "kind": "Python",
            "name": name,
            "version": meta["Version"],
            "licence": _licence_name(meta),
            "files": [(str(p.relative_to(libs)), p.read_text(encoding="utf-8", errors="replace")) for p in files],
        })
    return entries


def npm_entries(lock: Path, node_modules_root: Path) -> list[dict]:
    """One entry per non-dev package of package-lock.json: what esbuild can bundle."""
    packages = json.loads(lock.read_text(encoding="utf-8"))["packages"]
    entries = []
    for key, info in sorted(packages.items()):
        if not key or info.get("dev") or info.get("devOptional"):
            continue
        folder = node_modules_root / key
        files = sorted(p for p in folder.iterdir() if _is_licence_file(p)) if folder.is_dir() else []
        entries.append({
            "kind": "npm",
            "name": key.rsplit("node_modules/", 1)[-1],
            "version": info.get("version", "?"),
            "licence": info.get("license", "UNKNOWN"),
            "files": [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in files],
        })
    return entries


def render(entries: list[dict]) -> str:
    out = [
        "THIRD-PARTY SOFTWARE NOTICES AND INFORMATION",
        "",
        "The Lime Task Lint extension (.vsix) bundles the following software: the Python",
        "packages in bundled/libs (the language server's dependencies) and the npm",
        "packages compiled into out/extension.js. Generated by scripts/vsix_metadata.py",
        "from the packages' own metadata; do not edit by hand.",
        "",
    ]
    out += [f"- {e['name']} {e['version']} ({e['kind']}): {e['licence']}" for e in entries]
    for e in entries:
        out += ["", "=" * 78, f"{e['name']} {e['version']} ({e['kind']}) - {e['licence']}", "=" * 78]
        if not e["files"]:
            out += ["", "(no licence file is shipped with this package; licence as declared above)"]
        for name, text in e["files"]:
            out += ["", f"--- {name} ---", "", text.rstrip()]
    return "\n".join(out) + "\n"


def notices(libs: Path) -> str:
    return render(python_entries(libs) + npm_entries(REPO / "package-lock.json", REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dist-info").add_argument("libs", type=Path)
    sub.add_parser("manifest").add_argument("package_json", type=Path)
    n = sub.add_parser("notices")
    n.add_argument("libs", type=Path)
    n.add_argument("out", type=Path, nargs="?")
    n.add_argument("--check", type=Path, help="compare with this file instead of writing")
    args = parser.parse_args(argv)
    if args.command == "dist-info":
        write_dist_info(args.libs)
    elif args.command == "manifest":
        stamp_manifest(args.package_json)
    else:
        text = notices(args.libs)
        if args.check:
            current = args.check.read_text(encoding="utf-8") if args.check.is_file() else ""
            if current != text:
                print(f"{args.check} is out of date: run `bash scripts/build-vsix.sh --update-lock`", file=sys.stderr)
                return 1
        elif args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
