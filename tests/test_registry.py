"""The registry refuses a reused code; the generated docs are in sync with it."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from lime_task_lint.framework import DOC_SECTIONS, DuplicateRuleError, Rule, RuleRegistry, all_rules, rules_document

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from update_docs import readme_with_index  # noqa: E402

FULL_DOCS = "\n".join(f"## {section}\ntext" for section in DOC_SECTIONS)


def _rule(code: str, docs: str = FULL_DOCS) -> type[Rule]:
    module = types.ModuleType(f"fake_rule_{code}_{len(docs)}")
    module.__doc__ = docs
    sys.modules[module.__name__] = module
    return type("FakeRule", (Rule,), {"code": code, "name": "fake", "__module__": module.__name__,
                                      "check": lambda self, ctx: []})


def test_duplicate_code_is_refused():
    registry = RuleRegistry()
    registry.register(_rule("LIME900"))
    with pytest.raises(DuplicateRuleError, match="LIME900"):
        registry.register(_rule("LIME900"))


def test_rule_without_the_five_doc_sections_is_refused():
    with pytest.raises(ValueError, match="Fix safety"):
        RuleRegistry().register(_rule("LIME901", "## What it does\nx"))


def test_every_rule_has_metadata_and_docs():
    for rule in all_rules():
        assert rule.code.startswith("LIME") and len(rule.code) == 7 and rule.name
        for section in DOC_SECTIONS:
            assert section in rule.docs(), f"{rule.code} docs lack {section}"


def test_docs_are_generated_from_the_registry():
    message = "run `.venv/bin/python scripts/update_docs.py` after adding or changing a rule"
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules_document(), message
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_index(readme) == readme, message
