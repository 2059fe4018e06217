"""Typed settings: the project file wins, bad values are reported and defaulted."""

from __future__ import annotations

from dataclasses import replace

from lime_task_lint.settings import Settings, resolve_settings


def write(tmp_path, body: str):
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    (tmp_path / "pkg").mkdir(exist_ok=True)
    return tmp_path / "pkg" / "tasks.py"


def test_defaults():
    settings = Settings()
    assert settings.batch_size == 50 and settings.memory_budget_mb == 200
    assert settings.docstring_style == "google" and settings.select == ("LIME",)


def test_project_file_is_read_and_wins_over_the_editor(tmp_path):
    file = write(tmp_path, """
[project]
requires-python = ">=3.12"
[tool.lime-task-lint]
batch-size = 25
docstring-style = "numpy"
object-counts = { company = 5000 }
per-file-ignores = { "tests/*" = ["LIME3"] }
""")
    settings, problems, pyproject = resolve_settings(file, {"batchSize": 80, "defaultObjectCount": 7})
    assert problems == [] and pyproject == tmp_path / "pyproject.toml"
    assert settings.batch_size == 25  # the file wins
    assert settings.default_object_count == 7  # the editor fills the gap
    assert settings.docstring_style == "numpy"
    assert settings.object_count("company") == (5000, "`object-counts.company`")
    assert settings.object_count("deal") == (7, "`default-object-count`")
    assert settings.per_file_ignores == {"tests/*": ("LIME3",)}
    assert settings.python_version == (3, 12)  # from requires-python


def test_unknown_key_and_wrong_type_are_reported_with_the_file_and_defaults_used(tmp_path):
    file = write(tmp_path, """
[tool.lime-task-lint]
batch_sise = 10
batch-size = "fifty"
docstring-style = "javadoc"
select = ["LIME1", "E501"]
memory-budget-mb = 300
""")
    settings, problems, _ = resolve_settings(file)
    text = "\n".join(problems)
    assert "unknown setting `batch_sise`" in text
    assert "`batch-size` must be a positive whole number" in text
    assert "`docstring-style` must be one of google, numpy, sphinx" in text
    assert "E501" in text
    assert all(str(tmp_path / "pyproject.toml") in p for p in problems)
    assert settings.batch_size == 50 and settings.docstring_style == "google" and settings.select == ("LIME",)
    assert settings.memory_budget_mb == 300  # the good key still applies


def test_broken_toml_is_reported_not_raised(tmp_path):
    file = write(tmp_path, "[tool.lime-task-lint\nbatch-size = 3\n")
    settings, problems, _ = resolve_settings(file)
    assert replace(settings, config_file=None, project_root=None) == Settings() and "cannot read it" in problems[0]


def test_editor_settings_in_camel_case_and_editor_only_keys(tmp_path):
    settings, problems, _ = resolve_settings(None, {"debounceMs": 0, "unsafeFixes": True, "interpreter": ["/x"],
                                                    "targetVersion": "py313", "logLevel": "loud"})
    assert settings.debounce_ms == 0 and settings.unsafe_fixes and settings.target_version == (3, 13)
    assert len(problems) == 1 and "log-level" in problems[0]
    file = write(tmp_path, "[tool.lime-task-lint]\ndebounce-ms = 5\n")
    _, problems, _ = resolve_settings(file)
    assert "editor setting" in problems[0]


def test_relations_prefetch_chunk_size_and_write_cost_are_read(tmp_path):
    file = write(tmp_path, """
[tool.lime-task-lint]
prefetch-chunk-size = 250
write-per-object-ms = 1.5
[tool.lime-task-lint.relations]
"deal.coworker" = "coworker"
owner = "person"
ticket.agent = "coworker"
""")
    settings, problems, _ = resolve_settings(file)
    assert problems == []
    assert settings.prefetch_chunk_size == 250 and settings.write_per_object_ms == 1.5
    assert settings.related_limetype("deal", "coworker") == ("coworker", '`relations."deal.coworker"`')
    # An unquoted dotted key is a nested table in TOML: it means the same.
    assert settings.related_limetype("ticket", "agent") == ("coworker", '`relations."ticket.agent"`')
    # A bare relation name applies to every limetype; the limetype-specific key wins.
    assert settings.related_limetype("deal", "owner") == ("person", '`relations."owner"`')
    assert settings.related_limetype(None, "owner") == ("person", '`relations."owner"`')
    assert settings.related_limetype("deal", "company") is None
    defaults = Settings()
    assert defaults.prefetch_chunk_size == 1000 and defaults.relations == {}


def test_bad_relations_and_chunk_size_are_reported_and_defaulted(tmp_path):
    file = write(tmp_path, """
[tool.lime-task-lint]
prefetch-chunk-size = 0
relations = { "deal.coworker" = "not a name", "a.b.c" = "x" }
""")
    settings, problems, _ = resolve_settings(file)
    text = "\n".join(problems)
    assert "`prefetch-chunk-size` must be a positive whole number" in text
    assert "`relations." in text
    assert settings.prefetch_chunk_size == 1000 and settings.relations == {}


def test_every_setting_is_an_editor_setting_unless_it_is_project_only():
    """package.json contributes one editor setting (camelCase) per key, so the editor
    and the project file configure the same things; a new key cannot be forgotten."""
    import json
    from pathlib import Path

    from lime_task_lint.settings import CLIENT_ONLY, KEYS, PROJECT_ONLY

    def camel(key: str) -> str:
        first, *rest = key.split("-")
        return first + "".join(part.title() for part in rest)

    manifest = json.loads((Path(__file__).resolve().parents[1] / "package.json").read_text(encoding="utf-8"))
    contributed = {k.split(".", 1)[1] for k in manifest["contributes"]["configuration"]["properties"]}
    expected = {camel(k) for k in KEYS if k not in PROJECT_ONLY} | {camel(k) for k in CLIENT_ONLY
                                                                    if camel(k) in contributed}
    assert contributed == expected
