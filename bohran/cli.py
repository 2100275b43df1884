"""`bohran` command line: one typer app; each command group lives in bohran/commands/."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="bohran",
    help="Brand crisis radar: Persian-first social mention stream processing and alerting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module exposes register(app). Order is the order of `bohran --help`.
COMMAND_MODULES = (
    "bohran.commands.worker",
    "bohran.commands.run",
    "bohran.commands.ingest",
    "bohran.commands.ingest_server",
    "bohran.commands.config_cmd",
    "bohran.commands.classify",
    "bohran.commands.eval_sentiment",
    "bohran.commands.simulate",
    "bohran.commands.backtest",
    "bohran.commands.alerts",
    "bohran.commands.explain",
    "bohran.commands.advocates",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
