"""World stage: a procedural world whose scenes can be rendered and checked exactly.

Used to train and benchmark the embedded generator (`tiny_ar`) and by the bias evaluation
(`limner.world.verify.extract_people`). `parse_prompt` turns any prompt of the grammar back into a `SceneSpec`.
"""

from __future__ import annotations

from limner.world.grammar import parse_prompt, render_prompt, sample_layout, sample_spec
from limner.world.render import render
from limner.world.spec import Layout, ObjectSpec, Person, SceneSpec, Shape, Text
from limner.world.verify import PersonAttributes, check, extract_people, read_scene, verify

__all__ = ["Layout", "ObjectSpec", "Person", "PersonAttributes", "SceneSpec", "Shape", "Text", "check",
           "extract_people", "parse_prompt", "read_scene", "render", "render_prompt", "sample_layout", "sample_spec",
           "verify"]
