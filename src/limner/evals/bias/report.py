"""Evaluation, bias: Markdown and PNG renderings of the bias report (diversifier off vs on).

Decides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def render_markdown(runs: dict[str, dict[str, Any]], title: str, notes: Sequence[str] = ()) -> str:
    """`runs`: setting name ("diversifier_off", "diversifier_on") -> summarise_bias() report."""
    names = list(runs)
    lines = [f"# {title}", "", *[f"> {n}" for n in notes], ""]
    first = runs[names[0]]
    attrs = list(first["underspecified"]["all"])
    lines += ["## Under-specified prompts", "",
              "| attribute | scope | " + " | ".join(f"{n} H_norm (pooled) | {n} H_norm (mean/prompt) | "
                                                  f"{n} heterogeneity (resamples) | {n} heterogeneity (in image)"
                                                  for n in names) + " |",
              "|---|---|" + "---|" * (4 * len(names))]
    for a in attrs:
        for scope in ("all", "individual", "group"):
            cells = []
            for n in names:
                st = runs[n]["underspecified"][scope][a]
                cells += [_f(st["normalised_entropy_pooled"]), _f(st["normalised_entropy_mean_per_prompt"]),
                          _f(st["heterogeneity_across_resamples"]), _f(st["heterogeneity_within_image"])]
            lines.append(f"| {a} | {scope} | " + " | ".join(cells) + " |")
    lines += ["", "## Class distributions (under-specified prompts, all people)", ""]
    for a in ("skin_group", "skin_tone"):
        if a not in attrs:
            continue
        classes = list(first["underspecified"]["all"][a]["distribution"])
        lines += [f"| {a} | " + " | ".join(classes) + " | n |", "|---|" + "---|" * (len(classes) + 1)]
        for n in names:
            st = runs[n]["underspecified"]["all"][a]
            lines.append(f"| {n} | " + " | ".join(f"{st['distribution'][c]:.2f}" for c in classes)
                         + f" | {st['n_people']} |")
        lines.append("")
    lines += ["## Adherence and ahistorical score", "",
              "Ahistorical share: people drawn outside the setting's plausible classes on historical prompts (lower is "
              "better); historically plausible = 1 - that share (the issue's target: >= 0.97). People on historical "
              "prompts: the n column.", "",
              "| setting | person found | adherence (specified) | ahistorical share | historically plausible | n | "
              "historical prompts measured |",
              "|---|---|---|---|---|---|---|"]
    for n in names:
        r = runs[n]
        share = r["ahistorical"]["score"]
        prompts = r["ahistorical"]["prompts"]
        n_hist = sum(p["n_people"] for p in prompts.values())
        measured = sum(1 for p in prompts.values() if p["ahistorical"] is not None)
        lines.append(f"| {n} | {_f(r['person_found_rate'])} | {_f(r['adherence']['mean'])} | {_f(share)} | "
                     f"{_f(None if share is None else 1 - share)} | {n_hist} | {measured}/{len(prompts)} |")
    if first["ahistorical"]["prompts"]:
        lines += ["", "### Historical prompts", "",
                  "Plausible: the prompt set's assumption for the setting. Action: what the diversifier did "
                  "(grounded to a registry setting, unchanged, diversified); a prompt with no person drawn is not "
                  "scored.", "",
                  "| prompt | plausible | " + " | ".join(f"{n} person found | {n} historically plausible | {n} n"
                                                         for n in names) + " | diversifier action | setting |",
                  "|---|---|" + "---|" * (3 * len(names) + 2)]
        last = runs[names[-1]]["ahistorical"]["prompts"]
        for text, row in first["ahistorical"]["prompts"].items():
            cells = []
            for n in names:
                pr = runs[n]["ahistorical"]["prompts"][text]
                share = pr["ahistorical"]
                cells += [_f(pr.get("person_found")), _f(None if share is None else 1 - share), str(pr["n_people"])]
            plaus = "; ".join(", ".join(v) for v in row["plausible"].values())
            acts = ", ".join(f"{a} {v:.2f}" for a, v in last[text].get("actions", {}).items()) or "–"
            reason = last[text].get("reason") or ""
            if acts.startswith("unchanged") and reason:
                acts += f" ({reason})"
            lines.append(f"| {text} | {plaus} | " + " | ".join(cells)
                         + f" | {acts} | {last[text].get('setting') or '–'} |")
    lines += ["", "## Per prompt (skin group)", "", "| prompt | kind | " + " | ".join(
        f"{n} H_norm | {n} distribution" for n in names) + " |", "|---|---|" + "---|" * (2 * len(names))]
    for text, row in first["per_prompt"].items():
        cells = []
        for n in names:
            pr = runs[n]["per_prompt"][text].get("skin_group")
            if pr is None:
                cells += ["–", "–"]
                continue
            dist = ", ".join(f"{k} {v:.2f}" for k, v in pr["distribution"].items() if v > 0)
            cells += [_f(pr["normalised_entropy"]), dist or "–"]
        lines.append(f"| {text} | {row['kind']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(runs: dict[str, dict[str, Any]], path: Any, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(runs)
    attrs = [a for a in ("skin_group", "skin_tone") if a in runs[names[0]]["underspecified"]["all"]]
    fig, axes = plt.subplots(1, len(attrs), figsize=(6 * len(attrs), 4), squeeze=False)
    for ax, a in zip(axes[0], attrs, strict=True):
        classes = list(runs[names[0]]["underspecified"]["all"][a]["distribution"])
        width = 0.8 / len(names)
        for k, n in enumerate(names):
            st = runs[n]["underspecified"]["all"][a]
            ax.bar([i + k * width for i in range(len(classes))], [st["distribution"][c] for c in classes], width,
                   label=f"{n} (H={_f(st['normalised_entropy_pooled'])})")
        ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(classes))])
        ax.set_xticklabels(classes, rotation=30, fontsize=8)
        ax.set_title(f"{a}: share of people (under-specified prompts)")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
