"""``stancekit serve``: answer Label Studio as its ML backend (pre-annotation, retraining)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from stancekit.cli._app import app, cli_errors
from stancekit.serve.config import ServeConfig, TrainingSettings


@app.command()
@cli_errors
def serve(
    model: Annotated[Path, typer.Option("--model", "-m", help="The stance model folder to serve (stancekit train); "
                                        "retrained versions go to MODEL/versions/.")],
    actors: Annotated[Optional[Path], typer.Option(help="Actor dictionary (YAML): finds the actor spans of tasks "
                                                   "imported with only their text.")] = None,
    sentiment_model: Annotated[Optional[Path], typer.Option(help="A sentiment model folder: adds the sentence "
                                                            "sentiment.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 9090,
    versions_dir: Annotated[Optional[Path], typer.Option(help="Where versions live (default MODEL/versions).")]
    = None,
    studio_url: Annotated[Optional[str], typer.Option(
        help="Label Studio URL for pulling labels (default: the hostname Label Studio sends, else "
             "LABEL_STUDIO_URL).")] = None,
    basic_auth_user: Annotated[str, typer.Option(envvar="STANCEKIT_BASIC_AUTH_USER",
                                                 help="Require basic auth with this user.")] = "",
    basic_auth_password: Annotated[str, typer.Option(envvar="STANCEKIT_BASIC_AUTH_PASSWORD", show_default=False,
                                                     help="Its password (set it in the environment).")] = "",
    train_every: Annotated[int, typer.Option(help="Retrain after every N new/updated annotations (0: only on "
                                             "Start Training).")] = 0,
    held_out: Annotated[float, typer.Option(help="Share of labelled documents held out to compare versions.")]
    = TrainingSettings.held_out,
    train_epochs: Annotated[float, typer.Option(help="Epochs per retraining.")] = TrainingSettings.epochs,
    train_max_steps: Annotated[int, typer.Option(help="Step limit per retraining (-1: none).")]
    = TrainingSettings.max_steps,
    train_threads: Annotated[int, typer.Option(help="CPU threads of a retraining.")] = 1,
    threads: Annotated[int, typer.Option(
        help="CPU threads for predictions. 1 keeps one-task latency steady on a shared or busy machine (measured: "
             "/predict p50 48 ms at 1 thread vs 0.8 s at 2 on 2 busy cores); more helps large batches on an idle machine.")]
    = 1,
    max_text_chars: Annotated[int, typer.Option(help="Longest task text accepted.")] = ServeConfig.max_text_chars,
) -> None:
    """Serve a stance model to Label Studio (Settings > Model > Connect Model: http://HOST:PORT)."""
    from stancekit.serve.app import serve as run_serve

    run_serve(ServeConfig(
        model=model, actors=actors, sentiment_model=sentiment_model, host=host, port=port, versions_dir=versions_dir,
        studio_url=studio_url, basic_auth_user=basic_auth_user, basic_auth_password=basic_auth_password,
        max_text_chars=max_text_chars, threads=threads,
        training=TrainingSettings(held_out=held_out, epochs=train_epochs, max_steps=train_max_steps,
                                  threads=train_threads, train_every=train_every)))
