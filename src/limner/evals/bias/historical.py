"""Generation, prompt diversifier: the registry of historical settings it grounds instead of diversifying.

Decides nothing about safety. The registry (`policies/registries/historical_settings.yaml`, named by the policy's
`registries.historical_settings`) maps setting patterns ("vikings?", "edo (?:period|era)") to the Monk tones a
typical person of that setting can plausibly be drawn with. It is a deployer's editable assumption, not ground
truth (its header says why); this module only loads, validates and matches it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from limner.evals.bias.attributes import DEFAULT_MONK_GROUPS
from limner.evals.bias.text import CENTURY_WORDS, is_historical

DEFAULT_REGISTRY = Path(__file__).resolve().parents[4] / "policies" / "registries" / "historical_settings.yaml"
# The registry names groups in the default Monk grouping whatever grouping the diversifier reports with, so one
# file means the same tones in every deployment.
MONK_GROUPS: dict[str, tuple[int, ...]] = {
    g: tuple(t for t, name in sorted(DEFAULT_MONK_GROUPS.items()) if name == g)
    for g in dict.fromkeys(DEFAULT_MONK_GROUPS.values())
}


def _whole_words(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive regex matching any of `patterns` as whole words."""
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.I)


class HistoricalSetting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    patterns: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # patterns that name a person of the setting: a title, a role, a named individual
    groups: tuple[str, ...] = Field(min_length=1)
    tones: tuple[int, ...] = ()
    rationale: str = Field(min_length=10)
    # A place is not a period: "a chef in paris" is today's Paris. Such a setting matches only a prompt that is
    # historical by itself (a date, century, era or period word) and not set after 1950.
    needs_date: bool = False
    # ISO country codes whose places (the registry's gazetteer) fall back on this setting when no pattern matches.
    countries: tuple[str, ...] = ()

    @field_validator("countries")
    @classmethod
    def _iso_codes(cls, countries: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in countries if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise ValueError(f"countries {bad} are not two-letter ISO codes (e.g. 'PE')")
        return countries

    @field_validator("patterns", "people")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for p in patterns:
            try:
                compiled = re.compile(rf"\b(?:{p})\b", re.I)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} is not a valid regular expression: {exc}") from None
            # A pattern that matches nothing-at-all would ground every prompt with a person in it.
            if re.compile(f"(?:{p})").fullmatch("") is not None or compiled.search(" ") is not None:
                raise ValueError(f"pattern {p!r} matches the empty string")
        return patterns

    @field_validator("groups")
    @classmethod
    def _groups_known(cls, groups: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [g for g in groups if g not in MONK_GROUPS]
        if unknown:
            raise ValueError(f"unknown Monk group(s) {unknown}; use {list(MONK_GROUPS)}")
        if len(set(groups)) != len(groups):
            raise ValueError("groups are repeated")
        return groups

    @model_validator(mode="after")
    def _tones_inside_groups(self) -> HistoricalSetting:
        if not self.patterns and not self.people:
            raise ValueError(f"{self.id}: give at least one pattern in `patterns` or `people`")
        allowed = {t for g in self.groups for t in MONK_GROUPS[g]}
        outside = [t for t in self.tones if t not in allowed]
        if outside:
            raise ValueError(f"{self.id}: tones {outside} are outside groups {list(self.groups)}")
        # Every named group must keep at least one tone, or the group would be drawn and have nothing to draw.
        if self.tones:
            empty = [g for g in self.groups if not set(MONK_GROUPS[g]) & set(self.tones)]
            if empty:
                raise ValueError(f"{self.id}: groups {empty} have no tone in `tones`")
        return self

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Any pattern of the setting, `people` included."""
        return _whole_words((*self.patterns, *self.people))

    @cached_property
    def people_regex(self) -> re.Pattern[str] | None:
        """The setting's person-naming patterns ("mansa", "nefertiti"), or None."""
        return _whole_words(self.people) if self.people else None

    def person_mention(self, prompt: str) -> re.Match[str] | None:
        """The last place the prompt names a person of this setting by a title, role or name."""
        if self.people_regex is None:
            return None
        found = list(self.people_regex.finditer(prompt))
        return found[-1] if found else None

    def tones_by_group(self) -> dict[str, tuple[int, ...]]:
        """Group -> the plausible tones in it (all of the group's tones unless `tones` narrows them)."""
        return {g: tuple(t for t in MONK_GROUPS[g] if not self.tones or t in self.tones) for g in self.groups}


# A gazetteer name counts as the prompt's place only where a place stands: after a preposition (with at most three
# words between, none of them an article or possessive that would make it a common noun phrase: "in his study
# reading") and before the end, a comma, a date or another preposition. Cities are also people's names and English
# words ("reading", "nice", "mobile"); the position rules those out far more often than a stop list could.
_PLACE_LEFT = re.compile(r"\b(?:in|on|at|near|from|outside|around|across|within|inside|to|toward|towards|beyond|of)\s+"
                         r"(?:(?!(?:a|an|his|her|its|their|my|our|your)\b)[\w'-]+,?\s+){0,3}$", re.I)
_PLACE_RIGHT = re.compile(r"\s*(?:$|[,.;:!?)]|\s*\b(?:in|at|on|during|around|under|before|after|near|circa|c\.|"
                          r"about|ca\.)\b|\s*\d)", re.I)
_WORD_RE = re.compile(r"[\w'-]+")


_EARLY_RE = re.compile(r"\b(?:bce?|ancient|antiquity|medieval|middle ages|(?:bronze|iron|stone) age|"
                       rf"(?:{'|'.join(CENTURY_WORDS[:15])}|[1-9](?:st|nd|rd|th)|1[0-5]th)[- ]century)\b", re.I)
_YEAR_RE = re.compile(r"\b(\d{2,4})s?\b(?![- ]?century)")


def before_contact(prompt: str) -> bool:
    """Set before 1500 by its own words: a year, a century up to the fifteenth, BC, ancient or medieval. Then a
    place name the Americas and Oceania share with the old world ("12th-century cordoba") is the old world's."""
    return _EARLY_RE.search(prompt) is not None or any(int(y) < 1500 for y in _YEAR_RE.findall(prompt))


def fold_place(text: str) -> str:
    """Lower case, accents removed ("Córdoba" -> "cordoba"): how the gazetteer's names are written
    (`scripts/build_places.py`) and how a prompt is read against them."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


class Gazetteer:
    """Place names (lower case, accents removed) -> the countries that have a place of that name, most populous
    first, each with its continent code; read from a TSV written by `scripts/build_places.py`."""

    def __init__(self, places: dict[str, tuple[tuple[str, str], ...]]) -> None:
        self.places = places
        self.longest = max((n.count(" ") + 1 for n in places), default=0)

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        places = {}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            name, _, codes = line.partition("\t")
            entries = tuple(tuple(c.strip().split(":", 1)) for c in codes.split(","))
            if not all(len(e) == 2 and re.fullmatch(r"[A-Z]{2}", e[0]) for e in entries):
                raise ValueError(f"{path}:{n}: expected 'place<TAB>CC:continent[,CC:continent...]', got {line!r}")
            places[name.strip().lower()] = entries
        return cls(places)  # type: ignore[arg-type]

    def find(self, prompt: str) -> tuple[str, tuple[str, ...]] | None:
        """(place, candidate countries in order) for the first gazetteer name standing where a place stands (see
        above), or None. Before 1500 (`before_contact`), countries of the Americas and Oceania go last."""
        text = fold_place(prompt)
        words = list(_WORD_RE.finditer(text))
        for i in range(len(words)):
            for k in range(min(self.longest, len(words) - i), 0, -1):  # longest name first: "new york" not "york"
                start, end = words[i].start(), words[i + k - 1].end()
                name = text[start:end]
                if (name in self.places and _PLACE_LEFT.search(text[:start])
                        and _PLACE_RIGHT.match(text[end:])):
                    entries = self.places[name]
                    if before_contact(prompt):
                        entries = tuple(sorted(entries, key=lambda e: e[1] in ("NA", "SA", "OC")))
                    return name, tuple(country for country, _ in entries)
        return None


class HistoricalRegistry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    version: int = 1
    # a TSV of place -> ISO country beside the registry file: a dated prompt that no pattern matches falls back on
    # the setting whose `countries` hold its place's country
    gazetteer: str | None = None
    settings: tuple[HistoricalSetting, ...] = ()
    # loaded by `load_registry` from `gazetteer`
    places: Gazetteer | None = Field(default=None, exclude=True)

    @field_validator("settings")
    @classmethod
    def _unique_ids(cls, settings: tuple[HistoricalSetting, ...]) -> tuple[HistoricalSetting, ...]:
        seen: set[str] = set()
        for s in settings:
            if s.id in seen:
                raise ValueError(f"setting id {s.id!r} is repeated")
            seen.add(s.id)
        return settings

    def match(self, prompt: str) -> HistoricalSetting | None:
        """The first setting (file order) with a pattern in the prompt, or None; a `needs_date` setting only when
        the prompt is dated before 1950 (`dated_before_1950`). Failing that, for a prompt dated before 1950, the
        setting whose `countries` hold the country of a gazetteer place in it ("in 1790s lima" -> PE)."""
        for setting in self.settings:
            if setting.regex.search(prompt) and (not setting.needs_date or dated_before_1950(prompt)):
                return setting
        if self.places is None or not dated_before_1950(prompt):
            return None
        found = self.places.find(prompt)
        if found is None:
            return None
        for country in found[1]:
            setting = next((s for s in self.settings if country in s.countries), None)
            if setting is not None:
                return setting
        return None


_RECENT_RE = re.compile(r"\b(?:19[5-9]\d|20\d\d)s?\b|\b(?:twentieth|twenty-first|20th|21st)[- ]century\b|"
                        r"\b(?:modern|contemporary|present[- ]day|today)\b", re.I)


def dated_before_1950(prompt: str) -> bool:
    """Historical by its own words (`text.is_historical`) and not about the years since 1950."""
    return is_historical(prompt) and _RECENT_RE.search(prompt) is None


def load_registry(path: str | Path | None = None) -> HistoricalRegistry:
    """Load and validate a registry file (default: the shipped one). Errors name the file."""
    path = Path(path) if path is not None else DEFAULT_REGISTRY
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        registry = HistoricalRegistry.model_validate(data)
        if registry.gazetteer:
            registry = registry.model_copy(update={"places": Gazetteer.load(path.parent / registry.gazetteer)})
        return registry
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"historical settings registry {path}: {exc}") from exc
