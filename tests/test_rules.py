"""Tests generated from the rule files' examples, and the contract between rules and schema.

Every rule in pipeline/extract/rules/*.yaml carries example sentences with what must be kept
(value, unit, entity, qualifier, year, countries) and what must be dropped (with the rule that
drops it). Adding an example to a rule file adds a test here.
"""

from __future__ import annotations

import json
import re

import pytest

from pipeline.dataset.schema import load, shared_fields
from pipeline.extract import contract
from pipeline.extract.explain import explain, lines
from pipeline.extract.rules import all_examples, named_rules
from pipeline.extract.rules import load as load_rules
from pipeline.extract.units import unit_codes

EXAMPLES = all_examples()


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.005 * max(abs(a), abs(b), 1e-9)


def _matches(metric, want: dict) -> bool:
    if not _close(metric.value, float(want["value"])):
        return False
    for key in ("unit", "qualifier", "year", "unit_word"):
        if key in want and getattr(metric, key) != want[key]:
            return False
    if "entity" in want and (metric.entity is None or want["entity"] not in metric.entity):
        return False
    return "countries" not in want or [c["iso3"] for c in metric.countries] == want["countries"]


@pytest.mark.parametrize(
    ("file", "rule", "example"),
    EXAMPLES,
    ids=[f"{f}:{r}:{i}" for i, (f, r, _) in enumerate(EXAMPLES)],
)
def test_rule_example(file: str, rule: str, example: dict) -> None:
    assert "kept" in example or "dropped" in example, "an example that says nothing tests nothing"
    ex = explain(example["text"])
    report = "\n".join(lines(ex))
    if "kept" in example:
        assert len(ex.metrics) == len(example["kept"]), report
        for want in example["kept"]:
            assert any(_matches(m, want) for m in ex.metrics), f"{want} not kept\n{report}"
    for want in example.get("dropped", []):
        assert any(d.text == want["number"] and d.rule == want["rule"] for d in ex.drops), (
            f"{want} not dropped\n{report}"
        )


def test_every_rule_file_has_examples() -> None:
    assert len(EXAMPLES) > 40
    names = {r for _, r, _ in EXAMPLES}
    for must in (
        "identifier_after_word",
        "unknown_unit",
        "value_verb",
        "money_is",
        "number_words_in_full",
        "ratio",
        "fraction",
        "year_in_range",
    ):
        assert must in names


def test_drop_rules_are_named_in_the_exclusions_file() -> None:
    """Each rule name the extractor records for a dropped number is documented."""
    documented = {r["name"] for r in load_rules("exclusions")["exclusions"]}
    source = "\n".join(
        open(f"pipeline/extract/{name}.py", encoding="utf-8").read()
        for name in ("quantities", "exclusions", "quantity_patterns")
    )
    used = set(re.findall(r'return (?:None, )?"([a-z_]+)"', source))
    used |= set(re.findall(r"\(\?P<([a-z_]+)>", source)) - {
        "cur",
        "num",
        "fnum",
        "fden",
        "half",
        "den",
        "month_date",
    }
    used -= {"not_a_number", "exact"}
    assert {"glued", "duration", "identifier_after_word", "pronoun_one"} <= used  # all read
    assert used <= documented, used - documented


def test_schema_enums_and_year_range_are_generated_from_the_rules() -> None:
    """The contract: schemas/fields.json says what the rule files say."""
    shared = shared_fields()
    for name, generated in contract.constraints().items():
        for key, value in generated.items():
            assert shared[name]["constraints"][key] == value, (name, key)
    metrics = {f["name"]: f for f in load("metrics").fields}
    assert metrics["unit"]["constraints"]["enum"] == unit_codes()
    assert "unknown" in unit_codes() and "USD" in unit_codes() and "KES" in unit_codes()
    assert metrics["year"]["constraints"]["minimum"] == 1800
    assert "unit_word" in metrics


def test_fields_are_defined_once() -> None:
    """No table repeats a shared field's whole definition: it names it and overrides."""
    shared = shared_fields()
    for path in sorted(__import__("pathlib").Path("schemas").glob("*.json")):
        if path.name in ("fields.json", "series.json", "series_revisions.json", "indicators.json"):
            continue
        for f in json.loads(path.read_text(encoding="utf-8"))["fields"]:
            if f["name"] in shared:
                assert f.get("type") in (None,) or f.get("type") != shared[f["name"]]["type"], (
                    path.name,
                    f["name"],
                )


def test_a_year_in_range_is_not_quarantined() -> None:
    """'In 1850, the colony counted 300 schools.': the metric passes the metrics schema."""
    import pandas as pd

    from pipeline.dataset.schema import pandera_schema

    m = explain("In 1850, the colony counted 300 schools.").metrics
    assert [(x.value, x.year) for x in m] == [(300, 1850)]
    row = m[0].as_record()
    schema = load("metrics")
    pandera_schema(schema).validate(pd.DataFrame([{c: row[c] for c in schema.columns}]))


def test_explain_cli_runs_without_dagster() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from typer.testing import CliRunner; from pipeline.cli import app; "
        "r = CliRunner().invoke(app, ['explain', 'Gates 5 and 31 saw about 2 MW and "
        "12 terabecquerels.']); print(r.output); "
        "assert 'dagster' not in sys.modules, 'dagster imported'"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "DROPPED '5'" in out and "unknown [terabecquerels]" in out and "MW" in out


def test_rule_files_load_with_the_pure_python_yaml_loader() -> None:
    """An install without libyaml reads the same rules: the loader the code uses is the
    pure-Python one, and every rule file there is is listed and loads with it."""
    import inspect

    import yaml

    from pipeline.extract import rules
    from pipeline.extract.rules import FILES, RULES_DIR

    assert "CSafeLoader" not in inspect.getsource(rules)
    assert sorted(p.stem for p in RULES_DIR.glob("*.yaml")) == sorted(FILES)
    for name in FILES:
        text = (RULES_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        assert yaml.load(text, Loader=yaml.SafeLoader) == load_rules(name), name


def test_every_word_of_a_word_list_is_text() -> None:
    """'no', 'on', 'off', 'yes' unquoted are read by YAML as true or false, not as words."""
    words = load_rules("words")
    verbs = load_rules("verbs")
    lists = [*words.values(), verbs["change_nouns"], verbs["to_verbs"], verbs["appositive_verbs"]]
    lists += [
        r["words"] for key in ("value_verbs", "change_verbs", "money_nouns") for r in verbs[key]
    ]
    for values in lists:
        assert all(isinstance(w, str) for w in values), [
            w for w in values if not isinstance(w, str)
        ]


def _is_example_list(value) -> bool:
    """A list of named rules that hold only words for people and examples (tests read them)."""
    return isinstance(value, list) and all(
        isinstance(r, dict) and set(r) <= {"name", "description", "examples"} for r in value
    )


def test_every_key_of_every_rule_file_is_read_by_the_code() -> None:
    """A key nothing reads is a rule that changes nothing when edited: not allowed."""
    from pathlib import Path

    from pipeline.extract.rules import FILES

    package = Path(__file__).resolve().parent.parent / "pipeline"
    code = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))

    def read(key: str) -> bool:
        return bool(re.search(rf"[\"']{re.escape(key)}[\"']", code))

    unread = [
        f"{name}.yaml: {key}"
        for name in FILES
        for key, value in load_rules(name).items()
        if not read(key) and not _is_example_list(value)
    ]
    # the keys of each named rule too: a rule's key nothing reads is ignored when edited
    # for people: a rule's name, its description and examples, and what a unit measures
    for_people = {"name", "description", "examples", "measures"}
    unread += sorted(
        {
            f"{name}.yaml: {rule['name']}.{key}"
            for name in FILES
            for rule in named_rules(name)
            for key in rule
            if key not in for_people and not read(key)
        }
    )
    assert unread == []


def test_no_rule_file_repeats_a_key():
    """A repeated key loads silently as its last copy (its examples or words lost)."""
    import yaml

    from pipeline.extract.rules import FILES, RULES_DIR

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        assert len(keys) == len(set(keys)), f"repeated key in {node.start_mark}"
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    for name in FILES:
        yaml.load((RULES_DIR / f"{name}.yaml").read_text(encoding="utf-8"), Loader=Strict)
