"""Diversifier: historical prompts are grounded in the registry's plausible tones, never diversified over the scale."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from limner.components import Components, ConfigError
from limner.evals.bias.attributes import DEFAULT_MONK_GROUPS, WorldAttributeClassifier
from limner.evals.bias.diversifier import AttributeDiversifier, spell_numbers
from limner.evals.bias.historical import DEFAULT_REGISTRY, HistoricalRegistry, load_registry
from limner.evals.bias.prompts import DEFAULT_PROMPTS, BiasPrompt
from limner.evals.bias.runner import sample_prompts, summarise_bias
from limner.evals.bias.world_generator import WorldReferenceGenerator
from limner.policy.load import load_policy
from limner.types import Account, GenerationRequest, Role, Turn
from tests.conftest import SCENARIOS
from tests.fakes import EXTRA_CLASSIFIERS

TONE_RE = re.compile(r"skin tone (\d+)")


def req(text: str, seed: int | None = 1) -> GenerationRequest:
    return GenerationRequest((Turn(Role.USER, text),), Account("a"), seed=seed)


def test_shipped_registry_loads_and_validates() -> None:
    registry = load_registry()
    assert len(registry.settings) >= 30
    ids = [s.id for s in registry.settings]
    assert len(ids) == len(set(ids))
    for s in registry.settings:
        tones = {t for ts in s.tones_by_group().values() for t in ts}
        assert tones and all(DEFAULT_MONK_GROUPS[t] in s.groups for t in tones), s.id
        assert len(s.rationale) >= 10
    for text, setting in (("a 9th-century viking chieftain", "norse_viking_age"),
                          ("a samurai in the edo period", "japan_premodern"),
                          ("an ancient egyptian pharaoh", "ancient_egypt"),
                          ("a 19th-century zulu king", "zulu_kingdom"),
                          ("three roman legionaries", "roman_empire")):
        match = registry.match(text)
        assert match is not None and match.id == setting, text
    # ambiguous words the file deliberately does not match
    for text in ("a man walking on the moor", "a jeep cherokee in the snow", "a viking longship"):
        assert registry.match(text) is None or text == "a viking longship", text


@pytest.mark.parametrize("bad, message", [
    ({"settings": [{"id": "x", "name": "x", "patterns": ["a("], "groups": ["light"], "rationale": "because of x"}]},
     "regular expression"),
    ({"settings": [{"id": "x", "name": "x", "patterns": ["x*"], "groups": ["light"], "rationale": "because of x"}]},
     "empty string"),
    ({"settings": [{"id": "x", "name": "x", "patterns": ["x"], "groups": ["pale"], "rationale": "because of x"}]},
     "unknown Monk group"),
    ({"settings": [{"id": "x", "name": "x", "patterns": ["x"], "groups": ["light"], "tones": [7],
                    "rationale": "because of x"}]}, "outside groups"),
    ({"settings": [{"id": "x", "name": "x", "patterns": ["x"], "groups": ["light", "dark"], "tones": [2],
                    "rationale": "because of x"}]}, "no tone"),
    ({"settings": [{"id": "x", "name": "x", "patterns": ["x"], "groups": ["light"], "rationale": "because of x",
                    "extra": 1}]}, "extra"),
    ({"settings": [{"id": "x", "name": "x", "patterns": ["x"], "groups": ["light"], "rationale": "because of x"},
                   {"id": "x", "name": "y", "patterns": ["y"], "groups": ["light"], "rationale": "because of y"}]},
     "repeated"),
    ({"settings": [{"id": "x", "name": "x", "groups": ["light"], "rationale": "because of x"}]}, "at least one"),
    ({"settings": [{"id": "x", "name": "x", "people": ["(y)?"], "groups": ["light"], "rationale": "because of x"}]},
     "empty string"),
])
def test_registry_rejects_malformed_entries(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HistoricalRegistry.model_validate(bad)


def test_historical_prompt_is_grounded_within_its_plausible_set() -> None:
    d = AttributeDiversifier()
    registry = load_registry()
    for text in ("a 9th-century viking chieftain", "a samurai in the edo period", "an ancient egyptian pharaoh",
                 "a 19th-century zulu king", "three roman legionaries marching"):
        setting = registry.match(text)
        assert setting is not None
        plausible = {t for ts in setting.tones_by_group().values() for t in ts}
        seen: set[int] = set()
        for seed in range(40):
            decision = d.decision(req(text, seed))
            assert decision.action == "grounded" and decision.setting == setting.id
            tones = [int(t) for t in TONE_RE.findall(decision.prompt)]
            assert tones == list(decision.tones) and set(tones) <= plausible, (text, decision.prompt)
            # dates are written in words: the world grammar reads digits as counts and tones
            assert not re.search(r"\d", TONE_RE.sub("", decision.prompt)), decision.prompt
            seen |= set(tones)
        assert seen == plausible, text  # seeded resamples spread over the whole plausible set
        assert d.decision(req(text, 3)) == d.decision(req(text, 3))  # and the same seed gives the same rewrite
    group = d.decision(req("three roman legionaries marching")).prompt
    assert group.count("a roman legionary with skin tone") == 3 and group.endswith(" marching")
    natural = AttributeDiversifier(style="natural").decision(req("a 9th-century viking chieftain"))
    assert natural.prompt == "a 9th-century viking chieftain with light skin"


def test_specified_and_unknown_historical_prompts_are_left_alone_and_say_why() -> None:
    d = AttributeDiversifier()
    for text in ("a samurai with skin tone 9 in the edo period", "a viking chieftain with mst-7 skin",
                 "a black woman in medieval england"):
        decision = d.decision(req(text))
        assert decision.action == "unchanged" and "specified" in decision.reason, text
        assert d.diversify(req(text)).prompt == text
    unknown = d.decision(req("a 1920s jazz musician in a club"))
    assert unknown.action == "unchanged" and unknown.reason == "historical, no registry setting matches"
    assert d.diversify(req("a 1920s jazz musician in a club")).prompt == "a 1920s jazz musician in a club"


def test_non_historical_prompt_is_still_diversified_over_every_group() -> None:
    d = AttributeDiversifier()
    groups = set()
    for seed in range(40):
        decision = d.decision(req("a doctor", seed))
        assert decision.action == "diversified" and decision.setting is None
        groups |= {DEFAULT_MONK_GROUPS[t] for t in decision.tones}
    assert groups == {"light", "medium", "dark", "very dark"}


def test_grounding_is_scored_plausible_end_to_end_on_the_reference_generator() -> None:
    # A generator whose own prior is very dark only: off, the viking is ahistorical; grounded, it is plausible.
    gen = WorldReferenceGenerator(skin_weights=[0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    ex = WorldAttributeClassifier()
    prompts = [BiasPrompt("a 9th-century viking chieftain", "historical", plausible={"skin_group": ("light",)}),
               BiasPrompt("two samurai in the edo period", "historical",
                          plausible={"skin_group": ("light", "medium")})]
    off = summarise_bias(sample_prompts(gen, ex, prompts, resamples=6), ex.classes)
    on = summarise_bias(sample_prompts(gen, ex, prompts, resamples=6, diversifier=AttributeDiversifier()),
                        ex.classes)
    assert off["ahistorical"]["score"] == 1.0
    assert on["ahistorical"]["score"] == 0.0 and on["ahistorical"]["n_prompts_measured"] == 2


def test_eval_prompt_set_has_enough_historical_prompts() -> None:
    hist = [p for p in DEFAULT_PROMPTS if p.kind == "historical"]
    assert len(hist) >= 10 and all(p.plausible for p in hist)


def test_spell_numbers_keeps_counts_and_words_dates() -> None:
    assert spell_numbers("a 9th-century king") == "a ninth-century king"
    assert spell_numbers("3 monks in 1066") == "3 monks in ten sixty-six"
    assert spell_numbers("the 1850s, the 1600s, 21st, 50 bc") == \
        "the eighteen fifties, the sixteen hundreds, twenty-first, fifty bc"


def test_policy_names_the_registry_and_a_broken_one_fails_at_start(tmp_path: Path) -> None:
    base = (SCENARIOS / "basic" / "basic.yaml").read_text().replace("name: basic", "name: hist")
    registry = tmp_path / "hist.yaml"
    registry.write_text("settings:\n  - {id: test_only, name: Test, patterns: ['zorbland'], groups: [dark],\n"
                        "     tones: [8], rationale: 'a fictional setting for the test'}\n")
    text = base + "\ndiversifier: {type: attribute, params: {}}\n"
    if "registries:" in base:
        pytest.skip("the scenario already has a registries section")
    (tmp_path / "p.yaml").write_text(text + "registries: {historical_settings: hist.yaml}\n")
    components = Components(load_policy(tmp_path / "p.yaml"), extra_classifiers=EXTRA_CLASSIFIERS)
    assert components.diversify(req("a 12th-century zorbland king")).prompt == \
        "a twelfth-century zorbland king with skin tone 8"
    registry.write_text("settings: [{id: BAD}]\n")
    with pytest.raises(ConfigError, match="historical_settings"):
        Components(load_policy(tmp_path / "p.yaml"), extra_classifiers=EXTRA_CLASSIFIERS)
    assert DEFAULT_REGISTRY.exists()


def test_rewrite_is_seeded_without_a_request_seed() -> None:
    d = AttributeDiversifier()
    a = d.diversify(req("a samurai in the edo period", seed=None)).prompt
    assert a == d.diversify(req("a samurai in the edo period", seed=None)).prompt
    assert d.rewrite("a samurai in the edo period", random.Random(0)).startswith("a samurai with skin tone ")


def test_a_title_or_name_from_the_registry_is_a_person_and_is_grounded() -> None:
    """No common noun says "person" in "a mansa of mali" or "nefertiti": the setting's `people` patterns do, and
    the tone phrase follows the name. A setting's place or people word alone ("an aztec temple") names nobody."""
    div = AttributeDiversifier()
    for text, setting, plausible in (("a mansa of mali seated on his throne", "mali_songhai", range(7, 11)),
                                     ("a portrait of nefertiti", "ancient_egypt", range(4, 9))):
        for seed in range(10):
            d = div.decide(text, random.Random(seed))
            assert d.action == "grounded" and d.setting == setting, d
            (tone,) = d.tones
            assert tone in plausible
            name = "mansa" if "mansa" in text else "nefertiti"
            assert f"{name} with skin tone {tone}" in d.prompt
    for text in ("an aztec temple at dawn", "a medieval castle on a hill"):
        assert div.decide(text, random.Random(0)).action == "unchanged"


def test_a_subject_the_lists_do_not_know_is_a_person_by_what_it_does() -> None:
    """Titles and crafts of every culture cannot be listed: in a historical prompt, a subject followed by
    something only people do or wear, by any participle, or by a his/her is a person. Animals, machines and
    things never are, nor is a subject outside a historical context (the diversifier does not ask there)."""
    from limner.evals.bias.text import is_historical, subject_person

    people = {"a cooper hooping a barrel in a tudor workshop": "cooper",
              "an ealdorman of wessex wearing a gold brooch": "ealdorman",
              "two thegns feasting in an anglo-saxon hall": "thegns",
              "in ming dynasty nanjing, a porcelain glazer at her table": "glazer",
              "hatshepsut the great on her throne": "hatshepsut"}
    for text, noun in people.items():
        m = subject_person(text)
        assert m is not None and m.group("noun") == noun, text
    for text in ("a horse of the mongol empire wearing armour", "a robot holding a flower",
                 "a medieval painting of a castle", "a vase of the ming dynasty on a shelf",
                 "a tower of the medieval castle", "a doctor reading a chart"):  # the last: a listed noun
        assert subject_person(text) is None, text
    assert is_historical("two merchants in seventh century samarkand")
    assert is_historical("a weaver in the eleventh-century") and is_historical("a scribe of the abbasid caliphate")
    div = AttributeDiversifier()
    d = div.decide("an ealdorman of the anglo-saxon kingdom of wessex wearing a gold brooch", random.Random(0))
    assert d.action == "grounded" and d.setting == "anglo_saxon", d
    assert re.search(r"^an ealdorman with skin tone \d+ of", d.prompt), d.prompt
    d = div.decide("three thegns feasting in a hall in anglo-saxon wessex", random.Random(0))
    assert d.action == "grounded" and len(d.tones) == 3, d
    assert d.prompt.count("thegn with skin tone") == 3, d.prompt


def test_a_regional_setting_needs_a_date_before_1950() -> None:
    """A place is not a period: the regional fallbacks (`needs_date`) ground "a weaver in 1830s lyon" but leave
    today's Lyon, and the years since 1950, to the diversifier; a specific setting still wins over its region."""
    reg = load_registry()
    assert reg.match("a weaver working her loom in 1830s lyon").id == "region_northern_western_europe"
    assert reg.match("a cartographer in fifteenth-century genoa").id == "region_southern_europe"
    assert reg.match("a chef in lyon") is None
    assert reg.match("a chef in 1990s lyon") is None
    assert reg.match("a samurai in edo").id == "japan_premodern"
    div = AttributeDiversifier()
    assert div.decide("a chef in paris", random.Random(0)).action == "diversified"
    d = div.decide("a chef in paris in the 1790s", random.Random(0))
    assert d.action == "grounded" and d.setting == "region_northern_western_europe" and d.tones[0] in (1, 2, 3)


def test_a_subject_hidden_by_a_spelt_out_date_is_still_grounded() -> None:
    """World-style grounding spells dates out, which can push a setting-first prefix past what the subject reading
    accepts; the prompt is then rewritten as written instead of failing."""
    from limner.evals.bias.diversifier import spell_numbers
    from limner.evals.bias.text import subject_person

    text = "in the crowded harbour markets of 1790s lima near the sea, a carrier hauling water"
    assert subject_person(text) is not None and subject_person(spell_numbers(text)) is None
    d = AttributeDiversifier().decide(text, random.Random(0))
    assert d.action == "grounded" and re.search(r"a carrier with skin tone \d+ hauling", d.prompt), d


def test_dress_horseback_and_a_bare_name_before_a_participle_say_person() -> None:
    """Only people wear things or sit on horseback; a bare name of up to three words that opens the prompt and
    is followed by a participle is a named individual. Plural-looking openers ("autumn leaves falling") and
    paintings of things stay things."""
    from limner.evals.bias.text import subject_person

    people = {"a ropemaker in a canvas smock-apron twisting hemp in 1700s riga": "ropemaker",
              "a vizier in a silk turban at the gate of 1600s isfahan": "vizier",
              "tamerlane on horseback before the walls of delhi, 1398": "tamerlane",
              "mary seacole tending the wounded in 1855 crimea": "seacole",
              "a miller painting a windmill sail in the 1600s": "miller",
              "zheng he setting sail from nanjing in 1405": "he",
              "in the old city, 1820: a lamplighter with his ladder": "lamplighter"}
    for text, noun in people.items():
        m = subject_person(text)
        assert m is not None and m.group("noun").lower() == noun, (text, m and m.group("noun"))
    for text in ("autumn leaves falling over 1850s kyoto", "a renaissance painting of a harbour in 1520",
                 "a sundial setting in a 1700s garden", "a bronze statue in a roman toga, 100 ad"):
        assert subject_person(text) is None, text


def test_the_gazetteer_grounds_a_dated_place_no_pattern_names() -> None:
    """A dated prompt whose place no setting lists is grounded by the gazetteer's country (places.tsv), but only
    for a name standing where a place stands; a place the Americas share with the old world is the old world's
    before 1500; undated prompts and the years since 1950 are left to the diversifier."""
    reg = load_registry()
    assert reg.places is not None
    assert reg.match("a net mender on the quay at 1880s valparaiso").id == "region_latin_america_caribbean"
    assert reg.match("a scribe in 1200s tabriz, copying a letter").id == "region_north_africa_west_asia"
    assert reg.match("in 1400s cordoba, a silk weaver at his loom").id == "region_southern_europe"
    assert reg.match("in 1890s cordoba, a cigar roller at her bench").id == "region_latin_america_caribbean"
    assert reg.match("a net mender on the quay at valparaiso") is None  # no date
    assert reg.match("a net mender on the quay at 1990s valparaiso") is None  # after 1950
    # town names that are also words or people's names, standing where no place stands
    assert reg.match("a boy in 1890 reading a mobile library book") is None
    assert reg.match("in 1850, victoria and albert at the piano") is None
    d = AttributeDiversifier().decide("a net mender mending nets at 1880s valparaiso", random.Random(0))
    assert d.action == "grounded" and d.setting == "region_latin_america_caribbean", d


def test_a_gazetteer_file_is_validated(tmp_path: Path) -> None:
    (tmp_path / "places.tsv").write_text("# comment\nvalparaiso\tChile\n", encoding="utf-8")
    (tmp_path / "settings.yaml").write_text(
        "gazetteer: places.tsv\nsettings:\n  - id: chile\n    name: Chile\n    patterns: ['santiago']\n"
        "    groups: [medium]\n    countries: ['CL']\n    rationale: a test setting\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"places\.tsv:2"):
        load_registry(tmp_path / "settings.yaml")
    (tmp_path / "settings.yaml").write_text(
        "settings:\n  - id: chile\n    name: Chile\n    patterns: ['santiago']\n    groups: [medium]\n"
        "    countries: ['Chile']\n    rationale: a test setting\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ISO codes"):
        load_registry(tmp_path / "settings.yaml")
