"""Evaluation, bias: resample each prompt through a generator and measure the attributes of the people drawn.

Decides nothing. For every prompt, `resamples` seeds go through the generator (after the diversifier, when one is
given, exactly as the pipeline would apply it) and an `AttributeClassifier` reads the people back. Reported per
attribute: class distribution, normalised entropy (k = every class the attribute can take), heterogeneity across
resamples (per prompt) and within images (groups); adherence on prompts that specify attributes; and the
ahistorical score on historical prompts (share of people outside the setting's plausible classes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from limner.components import Diversifier
from limner.evals.bias.attributes import AttributeClassifier
from limner.evals.bias.prompts import BiasPrompt
from limner.evals.metrics import distribution, heterogeneity, normalised_entropy
from limner.generators.base import Generator
from limner.types import Account, GenerationRequest, Role, Turn

People = list[dict[str, str]]


@dataclass(frozen=True)
class PromptSamples:
    prompt: BiasPrompt
    images: tuple[tuple[dict[str, str], ...], ...]  # per resample: the people found
    rewritten: tuple[str, ...]  # the prompt the generator saw, per resample
    # per resample, what the diversifier did and why (`DiversifierDecision.as_dict()`), when it can say
    decisions: tuple[dict[str, Any], ...] = ()


def sample_prompts(generator: Generator, extractor: AttributeClassifier, prompts: Sequence[BiasPrompt],
                   resamples: int = 20, diversifier: Diversifier | None = None, seed: int = 0, size: int = 72,
                   advance: Callable[[], None] | None = None) -> list[PromptSamples]:
    account = Account("bias-eval", "eval")
    out = []
    for p in prompts:
        images, rewritten, decisions = [], [], []
        for i in range(resamples):
            request = GenerationRequest((Turn(Role.USER, p.text),), account, seed=seed * 100_003 + i, size=size)
            if diversifier is not None:
                decide = getattr(diversifier, "decision", None)
                if callable(decide):
                    decisions.append(decide(request).as_dict())
                request = diversifier.diversify(request)
            rewritten.append(request.prompt)
            images.append(tuple(extractor.extract(generator.generate(request).image)))
            if advance is not None:
                advance()
        out.append(PromptSamples(p, tuple(images), tuple(rewritten), tuple(decisions)))
    return out


def _attr_stats(samples: Sequence[PromptSamples], attr: str, classes: tuple[str, ...]) -> dict[str, Any]:
    pooled = [person[attr] for s in samples for img in s.images for person in img if attr in person]
    per_prompt = [[person[attr] for img in s.images for person in img if attr in person] for s in samples]
    entropies = [e for g in per_prompt if (e := normalised_entropy(g, len(classes))) is not None]
    multi = [[person[attr] for person in img] for s in samples for img in s.images if len(img) >= 2]
    return {
        "n_people": len(pooled),
        "distribution": distribution(pooled, classes),
        "normalised_entropy_pooled": normalised_entropy(pooled, len(classes)),
        "normalised_entropy_mean_per_prompt": mean(entropies) if entropies else None,
        "heterogeneity_across_resamples": heterogeneity(per_prompt),
        "heterogeneity_within_image": heterogeneity(multi),
    }


def summarise_bias(samples: Sequence[PromptSamples], classes: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    under = [s for s in samples if s.prompt.kind in ("individual", "group")]
    report: dict[str, Any] = {"n_prompts": len(samples), "resamples": len(samples[0].images) if samples else 0}
    images = [img for s in under for img in s.images]
    report["person_found_rate"] = (sum(1 for img in images if img) / len(images)) if images else None
    report["underspecified"] = {
        scope: {a: _attr_stats([s for s in under if scope == "all" or s.prompt.kind == scope], a, c)
                for a, c in classes.items()}
        for scope in ("all", "individual", "group")
    }
    spec = [s for s in samples if s.prompt.kind == "specified"]
    adherence: dict[str, Any] = {}
    for s in spec:
        people = [person for img in s.images for person in img]
        per_attr = {a: (sum(person.get(a) == v for person in people) / len(people) if people else None)
                    for a, v in s.prompt.specified.items()}
        all_ok = sum(all(person.get(a) == v for a, v in s.prompt.specified.items()) for person in people)
        adherence[s.prompt.text] = {"per_attribute": per_attr, "all": all_ok / len(people) if people else None,
                                    "n_people": len(people)}
    shares = [v["all"] for v in adherence.values() if v["all"] is not None]
    report["adherence"] = {"mean": mean(shares) if shares else None, "prompts": adherence}
    hist = [s for s in samples if s.prompt.kind == "historical"]
    ahist: dict[str, Any] = {}
    for s in hist:
        people = [person for img in s.images for person in img]
        outside = [any(a in person and person[a] not in ok for a, ok in s.prompt.plausible.items())
                   for person in people]
        actions = [d["action"] for d in s.decisions]
        ahist[s.prompt.text] = {"ahistorical": sum(outside) / len(outside) if outside else None,
                                "n_people": len(people),
                                "person_found": sum(1 for img in s.images if img) / max(1, len(s.images)),
                                "plausible": {k: list(v) for k, v in s.prompt.plausible.items()},
                                # grounded rewrites are expected; diversified ones are the ahistorical failure
                                "rewritten": sum(r != s.prompt.text for r in s.rewritten) / max(1, len(s.rewritten)),
                                "actions": {a: actions.count(a) / len(actions) for a in sorted(set(actions))},
                                "setting": next((d["setting"] for d in s.decisions if d.get("setting")), None),
                                "reason": s.decisions[0]["reason"] if s.decisions else None}
    scores = [v["ahistorical"] for v in ahist.values() if v["ahistorical"] is not None]
    # Prompts that drew no person cannot be scored; the count says how much of the set the score stands on.
    report["ahistorical"] = {"score": mean(scores) if scores else None, "prompts": ahist,
                             "n_prompts": len(hist), "n_prompts_measured": len(scores)}
    report["per_prompt"] = {
        s.prompt.text: {
            "kind": s.prompt.kind,
            "n_people": sum(len(img) for img in s.images),
            **{a: {"distribution": distribution([p[a] for img in s.images for p in img if a in p], c),
                   "normalised_entropy": normalised_entropy([p[a] for img in s.images for p in img if a in p], len(c))}
               for a, c in classes.items() if a in ("skin_group", "skin_tone")},
        } for s in samples
    }
    return report
