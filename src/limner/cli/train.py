"""CLI: `limner train` — reproduce the tiny_ar generator weights from scratch on CPU (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def train(
    run_dir: Annotated[Path, typer.Option(help="Checkpoints and logs (gitignored).")] = Path("runs/tiny_ar"),
    steps: Annotated[int, typer.Option(help="Optimizer steps (the shipped run is stopped by --max-minutes first).")
                     ] = 60000,
    tokens: Annotated[int, typer.Option(help="Tokens per step.")] = 2048,
    n_layer: Annotated[int, typer.Option()] = 4,
    n_embd: Annotated[int, typer.Option()] = 160,
    n_head: Annotated[int, typer.Option()] = 5,
    lr: Annotated[float, typer.Option()] = 3e-3,
    seed: Annotated[int, typer.Option()] = 0,
    threads: Annotated[int, typer.Option(help="torch CPU threads.")] = 2,
    bf16: Annotated[bool, typer.Option(help="bf16 autocast (faster only on CPUs with native bf16).")] = False,
    max_minutes: Annotated[float, typer.Option(
        help="Stop and checkpoint after this long (0 = no limit); the learning rate decays over whichever of steps "
             "and time runs out first. The default is the shipped recipe.")] = 85.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from run_dir/ckpt.pt.")] = False,
    pointer: Annotated[int, typer.Option(help="Width of the copy head (pointer over prompt words); 0 = none.")] = 64,
    paint_layout: Annotated[bool, typer.Option(
        help="While painting, each position reads the plan tokens of the slot it paints (shape, colour, size).")
                            ] = True,
    edit_reference: Annotated[bool, typer.Option(
        help="Each token of an edit's output plan also reads the input's object at its slot (needs --paint-layout). "
             "An experiment: measured in session 6 and not adopted (docs/generator.md).")] = False,
    init_from: Annotated[Path | None, typer.Option(
        help="Start from packaged weights (a directory with model.safetensors); parameters they lack, such as a "
             "new copy head, start fresh. Ignored with --resume.")] = None,
    export: Annotated[Path | None, typer.Option(help="Write safetensors + manifest.json here when done.")] = None,
) -> None:
    """Train the embedded text-and-image transformer on the procedural world.

    With no options this is the shipped recipe: from scratch, 85 minutes on 2 CPU cores (about 20,000 steps).

    Checkpoints every 100 steps under --run-dir; --resume continues an interrupted run.

    --export DIR packages the result as weights that `limner generate` can load."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from limner.generators.tiny_ar.train import TrainConfig, train_loop
    from limner.generators.tiny_ar.weights import export_checkpoint

    cfg = TrainConfig(steps=steps, tokens=tokens, n_layer=n_layer, n_embd=n_embd, n_head=n_head, lr=lr, seed=seed,
                      threads=threads, bf16=bf16, max_minutes=max_minutes,
                      pointer=pointer, paint_layout=paint_layout, edit_reference=edit_reference,
                      init_from=str(init_from) if init_from else "")
    with Progress(TextColumn("[bold]tiny_ar"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), TimeRemainingColumn()) as bar:
        task = bar.add_task("train", total=steps, info="")

        def progress(step: int, total: int, stats: dict[str, float]) -> None:
            bar.update(task, completed=step, info=f"loss {stats['loss']:.3f} main {stats['main']:.3f} "
                                                   f"col {stats['col']:.3f} mask {stats['mask']:.3f}")

        train_loop(cfg, run_dir, resume=resume, progress=progress)
    if export is not None:
        export_checkpoint(run_dir, export)
        typer.echo(f"wrote {export}")
