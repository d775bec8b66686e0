"""``stancekit train`` and ``stancekit evaluate``: fit a stance/sentiment classifier and score it."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from stancekit.cli._app import LEARN, cli_errors, command
from stancekit.cli._options import config_command, shared_option
from stancekit.evaluation import EvaluateConfig
from stancekit.options import JSON
from stancekit.training import TrainConfig


@command(panel=LEARN)
@cli_errors
@config_command(TrainConfig)
def train(config: TrainConfig) -> None:
    """Train a classifier and save it (weights, stancekit.json, model card) to the -o/--output folder."""
    from stancekit.training import train as run_train

    result = run_train(config)
    for split, metrics in result.metrics.items():
        typer.echo(f"{split}: macro-F1 {metrics['f1_macro']:.4f}, accuracy {metrics['accuracy']:.4f}, "
                   f"n {metrics['n']}")
    typer.echo(f"model saved to {result.path} ({result.train_seconds:.0f} s)")


@command(panel=LEARN)
@cli_errors
@config_command(EvaluateConfig)
def evaluate(config: EvaluateConfig, as_json: Annotated[bool, shared_option(JSON)] = False) -> None:
    """Score a model: macro-F1, accuracy, per-class scores, confusion matrix, per-actor breakdown (gold)."""
    from rich.console import Console
    from rich.table import Table

    from stancekit.evaluation import evaluate as run_evaluate

    result = run_evaluate(config)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console = Console()
    console.print(f"[bold]{result['model']}[/] ({result['task']}) on {result['n']} labelled items: "
                  f"macro-F1 {result['f1_macro']:.4f}, accuracy {result['accuracy']:.4f}")
    table = Table("label", "precision", "recall", "F1", "support")
    for label, m in result["per_class"].items():
        table.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    labels = result["confusion"]["labels"]
    confusion = Table("gold \\ predicted", *labels)
    for label, row in zip(labels, result["confusion"]["matrix"]):
        confusion.add_row(label, *map(str, row))
    console.print(confusion)
    if "per_actor" in result:
        actors = Table("actor", "n", "macro-F1", "accuracy")
        for actor, m in result["per_actor"].items():
            actors.add_row(actor, str(m["n"]), f"{m['f1_macro']:.3f}", f"{m['accuracy']:.3f}")
        console.print(actors)
