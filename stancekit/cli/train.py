"""``stancekit train`` and ``stancekit evaluate``: fit a stance/sentiment classifier and score it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from stancekit.cli._app import RecheckMargin, app, cli_errors
from stancekit.evaluation import EvaluateConfig, evaluate as run_evaluate
from stancekit.quantization import DEFAULT_RECHECK_MARGIN
from stancekit.training import TrainConfig, train as run_train

Format = Annotated[str, typer.Option("--format", help="auto (by extension/contents), newsmtsc or gold.")]
Device = Annotated[str, typer.Option(help="auto (GPU when present), cpu, cuda, cuda:1...")]


@app.command()
@cli_errors
def train(
    data: Annotated[list[Path], typer.Option("--data", "-d", help="Training data: a NewsMTSC folder/file or a gold "
                                             "dataset folder (its train split); repeat to combine sources.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model folder to write, e.g. models/<name>.")],
    model: Annotated[str, typer.Option("--model", help="transformer or baseline (scikit-learn).")] = TrainConfig.model,
    task: Annotated[str, typer.Option(help="stance (per mention) or sentiment (per sentence).")] = TrainConfig.task,
    validation: Annotated[Optional[list[Path]], typer.Option(
        help="Validation data (default: the sources' validation splits, else 10% of train documents).")] = None,
    data_format: Format = "auto",
    base_model: Annotated[str, typer.Option(help="Hugging Face id, local folder, or a stancekit transformer model "
                                            "to continue from (default: offline all-MiniLM-L6-v2).")]
    = TrainConfig.base_model,
    input_scheme: Annotated[str, typer.Option("--input", help="span-pool (all mentions, one pass) or pair.")]
    = TrainConfig.input_scheme,
    epochs: Annotated[float, typer.Option(help="Training epochs (early stopping may end sooner).")]
    = TrainConfig.epochs,
    max_steps: Annotated[int, typer.Option(help="Stop after this many steps (-1: no limit).")] = TrainConfig.max_steps,
    batch_size: Annotated[int, typer.Option(help="Training batch size.")] = TrainConfig.batch_size,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = TrainConfig.learning_rate,
    patience: Annotated[int, typer.Option(help="Evaluations without macro-F1 gain before stopping.")]
    = TrainConfig.patience,
    eval_steps: Annotated[Optional[int], typer.Option(help="Evaluate every N steps (default: each epoch).")] = None,
    baseline_c: Annotated[float, typer.Option(help="Baseline inverse regularisation strength C.")]
    = TrainConfig.baseline_c,
    seed: Annotated[int, typer.Option(help="Random seed.")] = TrainConfig.seed,
    device: Device = "auto",
    threads: Annotated[Optional[int], typer.Option(help="CPU threads (default: all cores; 1 on a busy machine).")]
    = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint of an interrupted run.")]
    = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bars on stderr.")] = True,
) -> None:
    """Train a classifier and save it (weights, stancekit.json, model card) to --output."""
    config = TrainConfig(data=data, output=output, validation=validation, data_format=data_format, task=task,
                         model=model, base_model=base_model, input_scheme=input_scheme, epochs=epochs,
                         max_steps=max_steps, batch_size=batch_size, learning_rate=learning_rate, patience=patience,
                         eval_steps=eval_steps, baseline_c=baseline_c, seed=seed, device=device, threads=threads,
                         resume=resume, progress=progress)
    result = run_train(config)
    for split, metrics in result.metrics.items():
        typer.echo(f"{split}: macro-F1 {metrics['f1_macro']:.4f}, accuracy {metrics['accuracy']:.4f}, "
                   f"n {metrics['n']}")
    typer.echo(f"model saved to {result.path} ({result.train_seconds:.0f} s)")


@app.command()
@cli_errors
def evaluate(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model folder (from `stancekit train`).")],
    data: Annotated[list[Path], typer.Option("--data", "-d", help="Labelled data: NewsMTSC file/folder or gold "
                                             "dataset folder/parquet; repeat to pool.")],
    data_format: Format = "auto",
    split: Annotated[str, typer.Option(help="Split to read from folders: test, validation or train.")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    device: Device = "auto",
    batch_size: Annotated[int, typer.Option(help="Encoder rows per batch.")] = 64,
    precision: Annotated[str, typer.Option(help="fp32, or int8 (quantized on CPU, as in `stancekit tag`).")] = "fp32",
    recheck_margin: RecheckMargin = DEFAULT_RECHECK_MARGIN,
) -> None:
    """Score a model: macro-F1, accuracy, per-class scores, confusion matrix, per-actor breakdown (gold)."""
    result = run_evaluate(EvaluateConfig(model=model, data=data, data_format=data_format, split=split,
                                         device=device, batch_size=batch_size, precision=precision,
                                         recheck_margin=recheck_margin))
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
