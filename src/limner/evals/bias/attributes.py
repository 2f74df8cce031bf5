"""Evaluation, bias: attribute extraction from generated images.

Decides nothing. `AttributeClassifier` is the seam: any generator can be evaluated with a classifier that returns,
for each person in an image, a dict attribute -> class. For the embedded procedural world the attributes are read
*exactly* from pixels by the world's verifier (`limner.world.verify.extract_people`): Monk skin tone, shirt colour,
hair colour and hair style. The world has no gender or race, so those columns are absent for it; a classifier for a
photoreal generator declares them in `classes`.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from limner.types import Image

DEFAULT_MONK_GROUPS: dict[int, str] = {1: "light", 2: "light", 3: "light", 4: "medium", 5: "medium", 6: "medium",
                                       7: "dark", 8: "dark", 9: "very dark", 10: "very dark"}


class AttributeClassifier(Protocol):
    name: ClassVar[str]
    # attribute -> every class it can take (the k of normalised entropy)
    classes: dict[str, tuple[str, ...]]

    def extract(self, image: Image) -> list[dict[str, str]]:
        """One dict per person found in the image."""
        ...


def group_names(grouping: dict[int, str]) -> tuple[str, ...]:
    seen: list[str] = []
    for tone in sorted(grouping):
        if grouping[tone] not in seen:
            seen.append(grouping[tone])
    return tuple(seen)


class WorldAttributeClassifier:
    """Exact attributes of the world's person figures, read back from pixels."""

    name: ClassVar[str] = "world"

    def __init__(self, grouping: dict[int, str] | None = None) -> None:
        from limner.world.spec import HAIR_COLOURS, HAIR_STYLES, SHIRT_COLOURS

        self.grouping = dict(grouping or DEFAULT_MONK_GROUPS)
        if sorted(self.grouping) != list(range(1, 11)):
            raise ValueError("a Monk grouping must map every tone 1..10 to a group name")
        self.classes: dict[str, tuple[str, ...]] = {
            "skin_group": group_names(self.grouping),
            "skin_tone": tuple(f"mst{i}" for i in range(1, 11)),
            "shirt": tuple(SHIRT_COLOURS),
            "hair": tuple(HAIR_COLOURS),
            "hair_style": tuple(HAIR_STYLES),
        }

    def extract(self, image: Image) -> list[dict[str, str]]:
        from limner.world.verify import extract_people

        return [{"skin_group": self.grouping[p.skin_tone], "skin_tone": f"mst{p.skin_tone}", "shirt": p.shirt,
                 "hair": p.hair, "hair_style": p.hair_style} for p in extract_people(image.data)]
