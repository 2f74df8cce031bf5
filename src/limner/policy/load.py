"""Policy: load a profile from YAML, resolve `extends:`, validate, and stamp a content version.

A bad file fails here, at start-up, with a message naming the file, the key and the problem, so a typo in a policy
can never silently weaken a gate.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from limner.policy.schema import Policy

MAX_EXTENDS_DEPTH = 8


class PolicyError(ValueError):
    """A policy file is missing, unreadable or invalid. The message names file, key and problem."""


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PolicyError(f"{path}: policy file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: a policy must be a YAML mapping at the top level")
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings; lists and scalars in `override` replace those in `base`."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        raise PolicyError(f"{path}: extends: cycle ({chain})")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise PolicyError(f"{path}: extends: chain deeper than {MAX_EXTENDS_DEPTH}")
    data = _read_yaml(path)
    parent_name = data.get("extends")
    if parent_name is None:
        return data
    if not isinstance(parent_name, str):
        raise PolicyError(f"{path}: extends: must be the name of another profile in the same folder")
    parent_path = path.parent / f"{parent_name}.yaml"
    if not parent_path.is_file():
        raise PolicyError(f"{path}: extends: no profile {parent_name!r} (looked for {parent_path.name} beside it)")
    return _merge(_resolve(parent_path, (*seen, path)), data)


def _format_validation(path: Path, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        problems.append(f"{path}: {key}: {err['msg']}")
    return "\n".join(problems)


def load_policy(path: str | Path) -> Policy:
    """Load one profile file, with everything it extends, as a validated, versioned `Policy`."""
    path = Path(path)
    data = _resolve(path, ())
    if "version" in data:
        raise PolicyError(f"{path}: version: set by limner at load (a hash of the policy); remove it")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_format_validation(path, exc)) from None
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    version = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    policy = policy.model_copy(update={"version": version})
    policy._base_dir = path.resolve().parent
    return policy


def load_profiles(directory: str | Path) -> dict[str, Policy]:
    """Every `*.yaml` profile in a folder, keyed by its `name`."""
    profiles: dict[str, Policy] = {}
    for file in sorted(Path(directory).glob("*.yaml")):
        policy = load_policy(file)
        if policy.name in profiles:
            raise PolicyError(f"{file}: name: profile {policy.name!r} is defined twice in {directory}")
        profiles[policy.name] = policy
    return profiles
