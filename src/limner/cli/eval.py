"""CLI: `limner eval safety` and `limner eval bias`, the benchmark reports under docs/benchmarks.

`eval safety` runs a labelled set (a built-in dev-split loader or a JSONL file) through the pipeline for each
evaluation configuration and writes safety_<name>.{json,md,png}; `eval bias` resamples under-specified person
prompts through a generator with the diversifier off and on and writes bias.{json,md,png}.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from limner.cli.common import console
from limner.components import GENERATORS, Components, ConfigError, load_class
from limner.evals.datasets import DatasetError, load_dataset, with_obfuscation
from limner.evals.distributed import Executor
from limner.evals.report.runs import run_stamp
from limner.evals.safety import EvalSetupError, plot, render_markdown, run_safety, summarise
from limner.generators.base import Generator
from limner.pipeline import EvalConfig, Pipeline
from limner.policy.load import PolicyError, load_policy
from limner.policy.schema import Policy
from limner.service import Service
from limner.settings import Settings

DEFAULT_OUT = Path("docs/benchmarks")


def load_eval_policy(profile: str | None, settings: Settings) -> Policy:
    """A profile name from the policy folder, or a path to a policy YAML file."""
    try:
        if profile and (profile.endswith((".yaml", ".yml")) or "/" in profile):
            return load_policy(Path(profile))
        service = Service.open(settings, with_database=False)
        policy = service.profile(profile)
        service.close()
        return policy
    except PolicyError as exc:
        console.print(f"[red]policy error[/red]\n{exc}")
        raise typer.Exit(2) from None


def build_pipeline(policy: Policy, generator: Generator | None = None) -> Pipeline:
    """A pipeline without an audit store: evaluation traffic is not user traffic."""
    try:
        return Pipeline(Components(policy, generator_override=generator), store=None)
    except (ConfigError, ImportError) as exc:
        console.print(f"[red]profile {policy.name!r} cannot be built: {type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(2) from None


def ray_executor(profile: str | None, settings: Settings, address: str | None, workers: int) -> Executor | None:
    """A Ray executor whose workers build the profile's pipeline themselves, or None (in-process)."""
    if not address:
        return None
    from limner.evals.distributed import ProfilePipeline, RayExecutor

    if profile and (profile.endswith((".yaml", ".yml")) or "/" in profile):
        profile = str(Path(profile).resolve())  # workers may run in another directory
    try:
        return RayExecutor(ProfilePipeline(profile, settings), address, workers)
    except ImportError:
        console.print('[red]--ray needs Ray: pip install "limner[ray]" (or "ray[default]")[/red]')
        raise typer.Exit(2) from None
    except EvalSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _stem(dataset: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", Path(dataset).stem.lower()) if dataset.endswith(".jsonl") else dataset


def eval_safety(
    dataset: str = typer.Argument(..., help="overt, xstest, i2p, coconot, adversarial_nibbler, ring_a_bell, "
                                  "uce_artist_prompts, all, or a JSONL file ({id, prompt|turns, expected, category, "
                                  "tier?, obfuscation?})."),
    config: list[EvalConfig] = typer.Option([EvalConfig.SYSTEM_ONLY, EvalConfig.WITH_CHAT], "--config",
                                            help="Configurations to run (repeatable; default both)."),
    profile: str | None = typer.Option(None, "--profile", help="Policy profile name, or a policy YAML file."),
    generate: bool = typer.Option(False, "--generate/--no-generate",
                                  help="Also generate allowed requests and run the output gate."),
    limit: int | None = typer.Option(None, "--limit", help="Evaluate a seeded random sample of this many rows."),
    out_dir: Path = typer.Option(DEFAULT_OUT, "--out-dir", help="Where safety_<dataset>.{json,md,png} go."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the 95% intervals."),
    seed: int = typer.Option(0, "--seed"),
    name: str | None = typer.Option(None, "--name", help="Report name (default: the dataset name)."),
    obfuscate: list[str] = typer.Option([], "--obfuscate",
                                        help="Also evaluate every row rewritten in this style (repeatable): "
                                             "homoglyph, leetspeak, zero_width, split_letters, typos, base64, "
                                             "spacing_case."),
    artist_registry: Path | None = typer.Option(None, "--artist-registry",
                                                help="Artist CSV (name, birth_year, death_year) that decides which "
                                                     "uce_artist_prompts rows must be blocked (default: the "
                                                     "policy's registries.living_artists)."),
    ray_address: str | None = typer.Option(None, "--ray",
                                           help="Shard the rows over a Ray cluster: 'local' (start one here), "
                                                "'auto', or 'ray://host:port'. Needs the ray extra."),
    ray_workers: int = typer.Option(2, "--ray-workers", help="Ray actors, each with its own pipeline."),
) -> None:
    """Score not_unsafe / not_overrefuse per category and configuration on a labelled set."""
    settings = Settings.from_env()
    policy = load_eval_policy(profile, settings)
    registry = artist_registry or (policy.resolve_path(policy.registries.living_artists)
                                   if policy.registries.living_artists else None)
    try:
        items = load_dataset(dataset, settings.datasets_dir, registry)
    except DatasetError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if limit is not None and limit < len(items):
        keep = set(random.Random(seed).sample(range(len(items)), limit))
        items = [it for i, it in enumerate(items) if i in keep]
    try:
        items = with_obfuscation(items, obfuscate, seed)
    except DatasetError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if not items:
        console.print(f"[red]{dataset}: no rows to evaluate[/red]")
        raise typer.Exit(2)
    configs = list(dict.fromkeys(config))
    executor = ray_executor(profile, settings, ray_address, ray_workers)
    pipeline = build_pipeline(policy) if executor is None else None
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"eval safety {dataset}", total=len(items) * len(configs))
            outcomes = run_safety(pipeline, items, configs, generate, lambda: progress.advance(task), executor)
    except EvalSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        if executor is not None:
            executor.close()
    if pipeline is not None:
        pipeline.close()
    report = summarise(outcomes, bootstrap, seed)
    stem = f"safety_{name or _stem(dataset)}"
    report["meta"] = {"dataset": dataset, "profile": policy.name, "policy_version": policy.version,
                      "generate": generate, "n_items": len(items), "limit": limit, "seed": seed,
                      "obfuscate": obfuscate,
                      "chat_gate_enabled": policy.gates.chat.enabled, "ray": ray_address, **run_stamp()}
    # Per-row outcomes (with the request ids) go to the data folder, not next to the report: they are large and
    # repeat dataset prompts by id only, for drill-down.
    outcomes_path = settings.data_dir / "eval" / f"{stem}_outcomes.jsonl"
    outcomes_path.parent.mkdir(parents=True, exist_ok=True)
    with outcomes_path.open("w", encoding="utf-8") as f:
        for o in outcomes:
            f.write(json.dumps(o.__dict__, ensure_ascii=False) + "\n")
    report["meta"]["outcomes_file"] = str(outcomes_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    copies = f" incl. copies obfuscated by {', '.join(obfuscate)}" if obfuscate else ""
    notes = [f"dataset `{dataset}` ({len(items)} rows{', sampled' if limit else ''}{copies}), profile `{policy.name}` "
             f"(policy version {policy.version}), {'generate + output gate' if generate else 'moderation only'}."]
    if not policy.gates.chat.enabled:
        notes.append("The chat gate is disabled in this profile, so with_chat equals system_only.")
    title = f"Safety evaluation: {name or _stem(dataset)}"
    (out_dir / f"{stem}.md").write_text(render_markdown(report, title, notes), encoding="utf-8")
    plot(report, out_dir / f"{stem}.png", title)
    for c in configs:
        o = report["overall"][c.value]
        nu, no = o["not_unsafe"]["value"], o["not_overrefuse"]["value"]
        console.print(f"{c.value}: not_unsafe={'–' if nu is None else f'{nu:.3f}'} "
                      f"not_overrefuse={'–' if no is None else f'{no:.3f}'}")
    console.print(f"-> {out_dir / stem}.{{json,md,png}}")


def _grouping(spec: str | None) -> dict[int, str] | None:
    """"1-3:light,4-6:medium,7-8:dark,9-10:very dark" -> {tone: group}."""
    if not spec:
        return None
    out: dict[int, str] = {}
    for part in spec.split(","):
        tones, _, group = part.partition(":")
        lo, _, hi = tones.strip().partition("-")
        for t in range(int(lo), int(hi or lo) + 1):
            out[t] = group.strip()
    return out


def eval_bias(
    generator: str = typer.Option("policy", "--generator",
                                  help="'policy': the profile's generator; 'world_reference': the reference world "
                                       "generator with --skin-weights as its prior."),
    profile: str | None = typer.Option(None, "--profile", help="Policy profile name, or a policy YAML file."),
    resamples: int = typer.Option(20, "--resamples", help="Images per prompt."),
    prompts: Path | None = typer.Option(None, "--prompts", help="JSONL prompt set (default: the built-in set)."),
    grouping: str | None = typer.Option(None, "--grouping",
                                        help="Monk grouping, e.g. '1-3:light,4-6:medium,7-8:dark,9-10:very dark'."),
    skin_weights: str | None = typer.Option(None, "--skin-weights",
                                            help="world_reference only: 10 comma-separated weights for MST 1..10."),
    style: str = typer.Option("world", "--style", help="Diversifier phrasing: world or natural."),
    out_dir: Path = typer.Option(DEFAULT_OUT, "--out-dir"),
    seed: int = typer.Option(0, "--seed"),
    name: str = typer.Option("bias", "--name", help="Report file stem."),
    historical_settings: Path | None = typer.Option(
        None, "--historical-settings",
        help="Historical settings registry the diversifier grounds (default: the profile's registries."
             "historical_settings, else policies/registries/historical_settings.yaml)."),
) -> None:
    """Demographic spread on under-specified person prompts, with the diversifier off and on."""
    from limner.evals.bias.attributes import WorldAttributeClassifier
    from limner.evals.bias.diversifier import AttributeDiversifier
    from limner.evals.bias.prompts import DEFAULT_PROMPTS, load_prompts
    from limner.evals.bias.report import plot as plot_bias
    from limner.evals.bias.report import render_markdown as render_bias
    from limner.evals.bias.runner import sample_prompts, summarise_bias
    from limner.evals.bias.world_generator import WorldReferenceGenerator

    gen: Any
    profile_registry: Path | None = None
    if generator == "world_reference":
        weights = [float(w) for w in skin_weights.split(",")] if skin_weights else None
        gen = WorldReferenceGenerator(skin_weights=weights)
        described = f"world_reference (skin prior {weights or 'uniform'})"
    elif generator == "policy":
        policy = load_eval_policy(profile, Settings.from_env())
        spec = policy.generator
        try:
            gen = load_class(GENERATORS[spec.type])(**spec.params)
            warm_fn = getattr(gen, "warm", None)
            if callable(warm_fn):
                warm_fn()
        except Exception as exc:  # missing weights or module: say so instead of a traceback
            console.print(f"[red]generator {spec.type!r} is not available: {type(exc).__name__}: {exc}[/red]")
            raise typer.Exit(2) from None
        described = f"{spec.type} from profile {policy.name}"
        if policy.registries.historical_settings:
            profile_registry = policy.resolve_path(policy.registries.historical_settings)
    else:
        console.print("[red]--generator must be 'policy' or 'world_reference'[/red]")
        raise typer.Exit(2)
    groups = _grouping(grouping)
    extractor = WorldAttributeClassifier(groups)
    prompt_set = load_prompts(prompts) if prompts else list(DEFAULT_PROMPTS)
    # The historical settings the diversifier grounds: --historical-settings, else the profile's registry, else the
    # shipped file.
    hist_path = historical_settings or profile_registry
    diversifier = AttributeDiversifier(style=style, grouping=groups,  # type: ignore[arg-type]
                                       historical_settings=hist_path)
    runs: dict[str, Any] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("eval bias", total=2 * len(prompt_set) * resamples)
        for setting, div in (("diversifier_off", None), ("diversifier_on", diversifier)):
            samples = sample_prompts(gen, extractor, prompt_set, resamples, div, seed,
                                     advance=lambda: progress.advance(task))
            runs[setting] = summarise_bias(samples, extractor.classes)
            runs[setting]["examples"] = {s.prompt.text: list(s.rewritten[:3]) for s in samples}
            if div is not None:  # what the diversifier did and why, per prompt (first resamples)
                runs[setting]["decisions"] = {s.prompt.text: list(s.decisions[:3]) for s in samples}
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"generator": described, "resamples": resamples, "n_prompts": len(prompt_set), "seed": seed,
            "grouping": extractor.grouping, "diversifier_style": style,
            "historical_settings": {"file": Path(hist_path).name if hist_path else "historical_settings.yaml",
                                    "n_settings": len(diversifier.registry.settings)}}
    (out_dir / f"{name}.json").write_text(json.dumps({"meta": meta, **runs}, indent=1) + "\n", encoding="utf-8")
    notes = [f"generator: {described}; {resamples} resamples x {len(prompt_set)} prompts; attributes read exactly "
             "from pixels by the world verifier (the world has no gender or race attribute)."]
    title = "Bias evaluation"
    (out_dir / f"{name}.md").write_text(render_bias(runs, title, notes), encoding="utf-8")
    plot_bias(runs, out_dir / f"{name}.png", title)
    for setting, r in runs.items():
        sg = r["underspecified"]["all"].get("skin_group", {})
        console.print(f"{setting}: skin_group H_norm={sg.get('normalised_entropy_pooled')} "
                      f"adherence={r['adherence']['mean']} ahistorical share={r['ahistorical']['score']}")
    console.print(f"-> {out_dir / name}.{{json,md,png}}")
