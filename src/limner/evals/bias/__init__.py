"""Evaluation, bias: demographic spread of generated people on under-specified prompts, and the diversifier.

Decides nothing about requests (the diversifier rewrites prompts; it never allows or blocks). See `runner.py` for the
measurement, `attributes.py` for attribute extraction, `diversifier.py` for the prompt rewriter and
`world_generator.py` for the reference generator the evaluation is calibrated against.
"""
