"""Prompt gate: finding registry names in a prompt, shared by the public-figure and fictional-subject classifiers.

Decides nothing. Names of two or more words match anywhere in the normalised prompt; one-word names only where the
original prompt capitalises them ("Drake" the rapper, not a drake duck; "Elsa", not an elsa plant). Possessives
name the person too: "Angela Merkel's email" (before this module, neither registry matched a possessive).
"""

from __future__ import annotations

import re
from typing import Generic, TypeVar

from limner.classifiers.text.artists import _key
from limner.classifiers.text.normalize import normalize

T = TypeVar("T")
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s?\b")
_CAPITALISED = re.compile(r"\b[A-Z][\w'.-]+\b")


def name_key(name: str) -> str:
    """Matching key of a name: `artists._key` (lower case, accents and punctuation folded) without possessives."""
    return _POSSESSIVE.sub("", _key(name))


class NameIndex(Generic[T]):
    """Registry entries by name key: `multi` for names of two or more words, `single` for one-word names."""

    def __init__(self) -> None:
        self.multi: dict[str, T] = {}
        self.single: dict[str, T] = {}

    def add(self, key: str, value: T, min_single: int = 4, replace: bool = True) -> None:
        """Index `value` under `key` (a `name_key`); one-word keys shorter than `min_single` are skipped, and with
        `replace=False` an entry already there is kept."""
        one_word = len(key.split()) == 1
        if one_word and len(key) < min_single:
            return
        table = self.single if one_word else self.multi
        if replace:
            table[key] = value
        else:
            table.setdefault(key, value)

    def find(self, text: str) -> list[T]:
        """Entries named in the prompt, each once, full names first."""
        norm = " " + name_key(normalize(text)) + " "
        found = [v for k, v in self.multi.items() if f" {k} " in norm]
        for m in _CAPITALISED.finditer(text):
            v = self.single.get(name_key(m.group(0)))
            if v is not None:
                found.append(v)
        return list(dict.fromkeys(found))
