"""Regenerate docs/rules.md and the rule index in README.md from the registry."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from lime_task_lint.framework import rule_index_markdown, rules_document  # noqa: E402

START, END = "<!-- rule-index:start -->", "<!-- rule-index:end -->"


def readme_with_index(readme: str) -> str:
    block = f"{START}\n{rule_index_markdown()}\n{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, readme, flags=re.S)


def main() -> None:
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "rules.md").write_text(rules_document(), encoding="utf-8")
    readme = ROOT / "README.md"
    readme.write_text(readme_with_index(readme.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
