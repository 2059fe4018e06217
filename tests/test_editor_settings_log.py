"""The server's log of the editor settings: one short line a scope with what the
user changed; a token typed into an unknown key never reaches the log."""
import json
from pathlib import Path

from lime_task_lint.server import _changed_from_defaults

ROOT = Path(__file__).resolve().parents[1]


def _package_defaults() -> dict:
    """What VS Code sends when the user set nothing: package.json's defaults."""
    props = json.loads((ROOT / "package.json").read_text("utf-8"))["contributes"]["configuration"]
    props = props["properties"] if isinstance(props, dict) else {k: v for part in props for k, v in part["properties"].items()}
    return {key.split(".", 1)[1]: spec.get("default") for key, spec in props.items() if key.startswith("limeTaskLint.")}


def test_the_editors_defaults_log_as_nothing_changed():
    assert _changed_from_defaults(_package_defaults()) == {}


def test_a_changed_setting_is_named_with_its_value():
    values = _package_defaults() | {"batchSize": 25, "objectCounts": {"deal": 5}}
    assert _changed_from_defaults(values) == {"batchSize": 25, "objectCounts": {"deal": 5}}


def test_an_unknown_keys_value_is_hidden_and_the_clients_own_keys_are_left_out():
    values = _package_defaults() | {"apiToken": "s3cr3t", "interpreter": ["/opt/py/bin/python"]}
    changed = _changed_from_defaults(values)
    assert changed == {"apiToken": "<not shown>"}
    assert "s3cr3t" not in repr(changed)
