"""Generator stage: tiny_ar, the embedded autoregressive text-and-image transformer trained on the procedural world.

Import the plugin from `limner.generators.tiny_ar.generator` (kept out of this module so importing the tokenizer or
the world does not pull in torch).
"""
