"""Evaluation, red teaming: synthetic attacks per policy category, composed from small mutators.

Decides nothing; the pipeline decides, and the runner records whether each attack got through. `mutators.py` holds
the one-method prompt transforms, `strategies.py` the conversation shapes (single turn, multi-turn escalation,
image upload), `seeds.py` the seed intents and `runner.py` the resumable, adaptive loop.
"""
