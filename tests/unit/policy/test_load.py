from __future__ import annotations

from pathlib import Path

import pytest

from limner.components import Components, ConfigError
from limner.policy.load import PolicyError, load_policy, load_profiles
from limner.policy.schema import Policy
from limner.types import Tier
from tests.conftest import REPO, SCENARIOS
from tests.fakes import EXTRA_CLASSIFIERS


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


MINIMAL = """
name: base
labels:
  hate: {category: hate, message: "promotes hate"}
  violence/graphic: {category: violence, threshold: 0.6, message: "gore"}
  context/historical: {category: context, threshold: null, message: "history"}
gates:
  prompt:
    classifiers: [{type: lexicon, params: {terms: {hate: [x]}}}]
"""


def test_shipped_profiles_load_and_validate_their_plugins_by_name() -> None:
    profiles = load_profiles(REPO / "policies")
    assert {"default", "education"} <= set(profiles)
    default = profiles["default"]
    assert len(default.version) == 12
    assert default.tiers[Tier.UNDER13].refused
    assert default.threshold("sexual/suggestive", Tier.ADULT) is None
    assert default.threshold("sexual/suggestive", Tier.UNDER18) == 0.5


def test_reference_profile_sets_every_top_level_key() -> None:
    import yaml

    raw = yaml.safe_load((REPO / "policies" / "default.yaml").read_text())
    missing = set(Policy.model_fields) - set(raw) - {"version"}
    assert not missing, f"policies/default.yaml should show every key; missing {missing}"


def test_inheritance_merges_mappings_and_replaces_lists(tmp_path: Path) -> None:
    write(tmp_path, "base", MINIMAL)
    child = write(tmp_path, "child", """
name: child
extends: base
labels:
  hate: {category: hate, threshold: 0.2, message: "promotes hate (strict)"}
tiers:
  under18: {thresholds: {violence/graphic: 0.1}}
""")
    policy = load_policy(child)
    assert policy.name == "child"
    assert policy.labels["hate"].threshold == 0.2
    assert policy.labels["violence/graphic"].threshold == 0.6  # inherited
    assert policy.threshold("violence/graphic", Tier.UNDER18) == 0.1
    assert policy.threshold("violence/graphic", Tier.ADULT) == 0.6
    assert policy.gates.prompt.classifiers[0].type == "lexicon"
    assert policy.version != load_policy(tmp_path / "base.yaml").version


def test_education_profile_is_stricter_than_default() -> None:
    default = load_policy(REPO / "policies" / "default.yaml")
    education = load_policy(REPO / "policies" / "education.yaml")
    for label in ("violence/graphic", "sexual/suggestive"):
        strict = education.threshold(label, Tier.ADULT)
        lax = default.threshold(label, Tier.ADULT)
        assert strict is not None and (lax is None or strict <= lax)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: base\nlabel: {}\n", "labels: Field required"),
        (MINIMAL + "colour: blue\n", "colour: Extra inputs are not permitted"),
        (MINIMAL.replace("threshold: 0.6", "threshold: 1.5"), "labels.violence/graphic.threshold"),
        (MINIMAL.replace("category: hate,", "category: hatred,"), "labels.hate.category"),
        (MINIMAL + "tiers: {under18: {thresholds: {gore: 0.3}}}\n", "unknown label 'gore'"),
        (MINIMAL + "tiers: {under18: {thresholds: {hate: 2}}}\n", "must be in [0, 1]"),
        (MINIMAL + "tiers: {teen: {}}\n", "tiers.teen"),
        (MINIMAL + "context_rules: [{label: hate, allow_when: [context/museum]}]\n", "unknown label 'context/museum'"),
        (MINIMAL + "context_rules: [{label: hate, allow_when: []}]\n", "context_rules.0.allow_when"),
        (MINIMAL + "extends: missing\n", "extends: no profile 'missing'"),
        (MINIMAL + "version: abc\n", "version: set by limner"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("name: [unclosed\n", "not valid YAML"),
        (MINIMAL.replace("name: base", "name: Bad Name"), "name: String should match pattern"),
        (MINIMAL + "gates: {prompt: {timeout_ms: 0}}\n", "gates.prompt.timeout_ms"),
        (MINIMAL + "enforcement: {actions: {'*': [explode]}}\n", "enforcement.actions.*"),
    ],
)
def test_bad_policy_names_file_key_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "base", text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_missing_file_and_extends_cycle(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="policy file not found"):
        load_policy(tmp_path / "nope.yaml")
    write(tmp_path, "a", "name: a\nextends: b\nlabels: {}\n")
    write(tmp_path, "b", "name: b\nextends: a\nlabels: {}\n")
    with pytest.raises(PolicyError, match="cycle"):
        load_policy(tmp_path / "a.yaml")


def test_duplicate_profile_names_in_a_folder(tmp_path: Path) -> None:
    write(tmp_path, "one", MINIMAL)
    write(tmp_path, "two", MINIMAL)
    with pytest.raises(PolicyError, match="defined twice"):
        load_profiles(tmp_path)


@pytest.mark.parametrize(
    ("gates", "expected"),
    [
        ("{prompt: {classifiers: [{type: no_such_model}]}}", "gates.prompt.classifiers.0.type: unknown classifier"),
        ("{output: {classifiers: [{type: scripted_text}]}}", "cannot give it"),
        ("{prompt: {classifiers: [{type: lexicon, params: {terms: {gore: [x]}}}]}}", "labels the policy does not"),
        ("{prompt: {classifiers: [{type: lexicon, params: {words: {}}}]}}", "gates.prompt.classifiers.0.params"),
        ("{prompt: {classifiers: [{type: hash_bank, params: {bank: nope}}]}}", "registries.hash_banks"),
    ],
)
def test_bad_plugins_fail_at_build(tmp_path: Path, gates: str, expected: str) -> None:
    policy = load_policy(write(tmp_path, "base", MINIMAL.split("gates:")[0] + f"gates: {gates}\n"))
    with pytest.raises(ConfigError, match=expected):
        Components(policy, extra_classifiers=EXTRA_CLASSIFIERS)


def test_policy_check_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from limner.cli.main import app

    runner = CliRunner()
    ok = runner.invoke(app, ["policy", "check", str(SCENARIOS / "basic" / "basic.yaml"), "--no-plugins"])
    assert ok.exit_code == 0, ok.output
    assert "ok (profile basic" in ok.output
    bad = write(tmp_path, "base", MINIMAL + "colour: blue\n")
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert "colour: Extra inputs are not permitted" in result.output
