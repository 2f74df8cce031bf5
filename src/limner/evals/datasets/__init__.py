"""Evaluation, datasets: loaders that turn the shared datasets' dev splits (or a JSONL file) into `EvalItem`s.

Decides nothing. See `limner.evals.datasets.loaders`.
"""

from __future__ import annotations

from limner.evals.datasets.loaders import (
    BUILTIN,
    DatasetError,
    EvalItem,
    item_to_json,
    load_dataset,
    load_file,
    resolve_datasets_dir,
    with_obfuscation,
)

__all__ = ["BUILTIN", "DatasetError", "EvalItem", "item_to_json", "load_dataset", "load_file",
           "resolve_datasets_dir", "with_obfuscation"]
