"""CLI: `limner redteam`, synthetic attacks per policy category against a policy profile.

Writes the attack success rate per category, converter, strategy and adaptive round to
docs/benchmarks/redteam.{json,md}, keeps every attempt in a JSONL checkpoint under the data folder (LIMNER_DATA_DIR;
an interrupted run resumes from it) and saves the attacks that got through as a regression set that
`limner eval safety FILE` replays.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress

from limner.cli.common import console
from limner.cli.eval import DEFAULT_OUT, build_pipeline, load_eval_policy, ray_executor
from limner.evals.redteam.mutators import build_mutators, load_templates
from limner.evals.redteam.runner import (
    NEEDS_PHOTOREAL_UPLOAD,
    RedTeamRunner,
    render_markdown,
    summarise,
    write_regression,
)
from limner.evals.redteam.seeds import load_dataset_seeds, load_seed_files
from limner.evals.redteam.strategies import STRATEGIES
from limner.evals.report.runs import run_stamp
from limner.evals.safety import EvalSetupError
from limner.pipeline import EvalConfig
from limner.settings import Settings

DEFAULT_SEEDS = Path("data/redteam/seeds")
DEFAULT_REGRESSION = "data/redteam/regression_{profile}.jsonl"
_STRATEGY_HELP = f"Strategies (repeatable): {', '.join(STRATEGIES)}."


def redteam(
    profile: str | None = typer.Option(None, "--profile", help="Policy profile name, or a policy YAML file."),
    config: list[EvalConfig] = typer.Option([EvalConfig.SYSTEM_ONLY, EvalConfig.WITH_CHAT], "--config",
                                            help="Configurations to attack (repeatable; default both)."),
    seeds_dir: Path = typer.Option(DEFAULT_SEEDS, "--seeds", help="Folder of <category>.jsonl seed intents."),
    dataset_seeds: int = typer.Option(3, "--dataset-seeds",
                                      help="Unsafe train-split rows per category added as seeds (0: none; needs "
                                           "LIMNER_DATASETS_DIR)."),
    category: list[str] = typer.Option([], "--category", help="Only these policy categories (repeatable)."),
    mutator: list[str] = typer.Option([], "--mutator", help="Mutators to use (repeatable; default all available)."),
    strategy: list[str] = typer.Option(["single_turn", "escalation"], "--strategy",
                                       help=_STRATEGY_HELP),
    adaptive_rounds: int = typer.Option(2, "--adaptive-rounds", help="Rounds that stack a mutator on near misses."),
    adaptive_budget: int = typer.Option(100, "--adaptive-budget", help="Attacks per adaptive round and configuration."),
    limit_seeds: int | None = typer.Option(None, "--limit-seeds", help="Use only the first N seeds."),
    out_dir: Path = typer.Option(DEFAULT_OUT, "--out-dir", help="Where redteam.{json,md} go."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint",
                                           help="Attempt log (default <data dir>/redteam/checkpoint_<profile>_"
                                                "<policy version>.jsonl: a changed policy starts afresh)."),
    resume: bool = typer.Option(True, "--resume/--fresh", help="Resume from the checkpoint, or start over."),
    regression: Path | None = typer.Option(None, "--regression",
                                           help="Successful attacks as JSONL (default "
                                                "data/redteam/regression_<profile>.jsonl)."),
    seed: int = typer.Option(0, "--seed"),
    name: str = typer.Option("redteam", "--name", help="Report file stem in --out-dir."),
    ray_address: str | None = typer.Option(None, "--ray",
                                           help="Run the attacks on a Ray cluster: 'local', 'auto' or "
                                                "'ray://host:port'. Needs the ray extra."),
    ray_workers: int = typer.Option(2, "--ray-workers", help="Ray actors, each with its own pipeline."),
) -> None:
    """Mutate unsafe seed intents and measure which get through the gates."""
    settings = Settings.from_env()
    policy = load_eval_policy(profile, settings)
    seeds = load_seed_files(seeds_dir)
    templates: list[str] = []
    if settings.datasets_dir is not None and settings.datasets_dir.is_dir():
        templates = load_templates(settings.datasets_dir)
        if dataset_seeds > 0:
            seeds += load_dataset_seeds(settings.datasets_dir, dataset_seeds, seed)
    elif dataset_seeds > 0 or "jailbreak_template" in mutator:
        console.print("[yellow]LIMNER_DATASETS_DIR is not set: no dataset seeds and no jailbreak templates[/yellow]")
    if category:
        seeds = [s for s in seeds if s.category in category]
    if limit_seeds is not None:
        seeds = seeds[:limit_seeds]
    if not seeds:
        console.print("[red]no seeds to attack with[/red]")
        raise typer.Exit(2)
    try:
        mutators = build_mutators(mutator or None, templates)
        checkpoint = checkpoint or settings.data_dir / "redteam" / f"checkpoint_{policy.name}_{policy.version}.jsonl"
        if not resume and checkpoint.exists():
            checkpoint.unlink()
        executor = ray_executor(profile, settings, ray_address, ray_workers)
        pipeline = build_pipeline(policy)  # cheap (models load lazily); the runner plans with it
        configs = list(dict.fromkeys(config))
        runner = RedTeamRunner(pipeline, mutators, strategy, configs, checkpoint, seed, executor=executor)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    planned = len(runner.plan_round0(seeds)) + adaptive_rounds * adaptive_budget * len(configs)
    console.print(f"{len(seeds)} seeds x {len(mutators) + 1} converters x {len(strategy)} strategies x "
                  f"{len(configs)} configs; {len(runner.done)} attempts already in {checkpoint}")
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("red teaming", total=planned)
            attempts = runner.run(seeds, adaptive_rounds, adaptive_budget,
                                  advance=lambda n: progress.advance(task, n))
    except EvalSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        if executor is not None:
            executor.close()
    pipeline.close()
    report = summarise(attempts)
    report["meta"] = {"profile": policy.name, "policy_version": policy.version, "n_seeds": len(seeds),
                      "mutators": list(mutators), "strategies": strategy, "configs": [c.value for c in configs],
                      "adaptive_rounds": adaptive_rounds, "adaptive_budget": adaptive_budget, "seed": seed,
                      "chat_gate_enabled": policy.gates.chat.enabled, "ray": ray_address, **run_stamp()}
    out_dir.mkdir(parents=True, exist_ok=True)
    regression = regression or Path(DEFAULT_REGRESSION.format(profile=policy.name))
    kept = write_regression(attempts, regression)
    report["meta"]["regression_set"] = str(regression)
    report["meta"]["regression_rows"] = kept
    (out_dir / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    notes = [f"profile `{policy.name}` (policy version {policy.version}); {len(seeds)} seeds; mutators: "
             f"{', '.join(mutators)}; strategies: {', '.join(strategy)}; {adaptive_rounds} adaptive rounds of up to "
             f"{adaptive_budget}.", f"{kept} successful attacks kept in `{regression}` (replay with "
             f"`limner eval safety {regression}`)."]
    if not policy.gates.chat.enabled:
        notes.append("The chat gate is disabled in this profile, so with_chat equals system_only.")
    skipped = sorted({s.category for s in seeds} & NEEDS_PHOTOREAL_UPLOAD)
    if skipped:
        notes.append(f"Not attacked: {', '.join(skipped)} (refused for what a photoreal upload shows, and no photoreal "
                     "child image may be shipped to attach; see `limner eval classifiers` for child recall).")
    (out_dir / f"{name}.md").write_text(render_markdown(report, "Red-team evaluation", notes), encoding="utf-8")
    console.print(f"attack success rate {report['overall']['asr']:.3f} over {report['overall']['n']} attempts; "
                  f"{kept} kept -> {regression}; report -> {out_dir / name}.{{json,md}}")
