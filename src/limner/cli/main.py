"""CLI: the `limner` command. Each command lives in its own module; this file only wires them."""

from __future__ import annotations

import typer

from limner.cli.accounts import accounts_app
from limner.cli.audit import audit_app
from limner.cli.bank import bank_app
from limner.cli.bench_generator import bench_generator
from limner.cli.bench_provenance import bench_provenance
from limner.cli.certs import certs_init
from limner.cli.eval import eval_bias, eval_safety
from limner.cli.eval_classifiers import eval_classifiers
from limner.cli.generate import generate
from limner.cli.moderate import moderate
from limner.cli.policy import policy_app
from limner.cli.redteam import redteam
from limner.cli.report import report
from limner.cli.serve import serve
from limner.cli.train import train
from limner.cli.verify import verify

app = typer.Typer(
    name="limner",
    help="Self-hosted native image generation with a layered safety stack, evaluation and provenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("generate")(generate)
app.command("moderate")(moderate)
app.command("serve")(serve)
app.command("verify")(verify)
app.command("redteam")(redteam)
app.command("report")(report)
app.command("train")(train)
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.add_typer(accounts_app, name="accounts")
app.add_typer(bank_app, name="bank")

certs_app = typer.Typer(help="Signing certificates for C2PA manifests.", no_args_is_help=True)
certs_app.command("init")(certs_init)
app.add_typer(certs_app, name="certs")

bench_app = typer.Typer(help="Benchmarks that write docs/benchmarks/*.{json,md}.", no_args_is_help=True)
bench_app.command("generator")(bench_generator)
bench_app.command("provenance")(bench_provenance)
app.add_typer(bench_app, name="bench")

eval_app = typer.Typer(help="Evaluations: safety tables, image classifiers, bias.", no_args_is_help=True)
eval_app.command("safety")(eval_safety)
eval_app.command("classifiers")(eval_classifiers)
eval_app.command("bias")(eval_bias)
app.add_typer(eval_app, name="eval")


if __name__ == "__main__":
    app()
