"""The settings of ``stancekit serve``: light to import (the command line reads their defaults)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stancekit.errors import ConfigError
from stancekit.models.manifest import MANIFEST
from stancekit.models.options import InferenceOptions
from stancekit.options import ACTORS, MODEL, SENTIMENT_MODEL, STUDIO_URL, THREADS, Range, check_fields, nested, option
from stancekit.paths import PathRule
from stancekit.studio.connection import studio_url
from stancekit.training import check_training, training_default


@dataclass
class TrainingSettings:
    """How a retraining run trains (see :class:`~stancekit.serve.retrain.RetrainJob`) and when one starts.

    Epochs, steps and batch size default to ``stancekit train``'s (:class:`~stancekit.training.TrainConfig`
    owns them and their checks); a retraining uses one thread unless told otherwise, to keep the server
    answering.
    """

    held_out: float = option(0.2, help="Share of labelled documents held out to compare versions.",
                             flags=("--held-out",), range=Range(above=0, below=0.5))
    epochs: float = option(training_default("epochs"), help="Epochs per retraining.", flags=("--train-epochs",))
    max_steps: int = option(training_default("max_steps"), help="Step limit per retraining (-1: none).",
                            flags=("--train-max-steps",))
    batch_size: int = training_default("batch_size")
    threads: int | None = option(1, help="CPU threads of a retraining.", flags=("--train-threads",),
                                 range=Range(min=1))
    train_every: int = option(0, help="Retrain after every N new/updated annotations (0: only on Start Training).",
                              flags=("--train-every",), range=Range(min=0))

    def __post_init__(self) -> None:
        check_fields(self)
        check_training(epochs=self.epochs, max_steps=self.max_steps, batch_size=self.batch_size)


@dataclass
class ServeConfig:
    """The served models, the address, the limits on a request, and how retraining runs.

    ``threads``: torch intra-op threads for predictions (None: all cores). 1 keeps one-task latency steady
    on a shared or busy machine (measured: /predict p50 48 ms at 1 thread vs 0.8 s at 2 on 2 busy cores);
    more helps large batches on an idle machine.
    """

    model: Path = MODEL()
    actors: Path | None = ACTORS(None)
    sentiment_model: Path | None = SENTIMENT_MODEL(None)
    host: str = option("127.0.0.1", help="Address to listen on (127.0.0.1: this machine only).")
    port: int = option(9090, help="Port.", range=Range(min=1, max=65535))
    versions_dir: Path | None = option(None, help="Where retrained versions live (default: MODEL/versions).",
                                       metavar="DIR", path=PathRule("output-folder", "a folder for model versions"))
    studio_url: str | None = STUDIO_URL(None, show_default=False)  # default: the hostname Label Studio sends
    basic_auth_user: str = option("", help="Require basic auth with this user.", envvar="STANCEKIT_BASIC_AUTH_USER")
    basic_auth_password: str = option("", help="Its password (set it in the environment).", show_default=False,
                                      envvar="STANCEKIT_BASIC_AUTH_PASSWORD", repr=False)
    max_text_chars: int = option(20_000, help="Longest task text accepted.", range=Range(min=1))
    max_body_bytes: int = 32 * 1024 * 1024
    inference: InferenceOptions = field(default_factory=lambda: InferenceOptions(device="cpu"))
    threads: int | None = THREADS(1)
    training: TrainingSettings = nested(TrainingSettings)

    def __post_init__(self) -> None:
        check_fields(self)
        if not (self.model / MANIFEST).is_file():
            raise ConfigError(f"{self.model} is not a stancekit model folder ({MANIFEST} missing); pass --model "
                              "a folder written by stancekit train")
        if bool(self.basic_auth_user) != bool(self.basic_auth_password):
            raise ConfigError("basic auth needs both a user and a password (STANCEKIT_BASIC_AUTH_USER and "
                              "STANCEKIT_BASIC_AUTH_PASSWORD), or neither")
        if self.studio_url is not None:
            self.studio_url = studio_url(self.studio_url)  # the one check of a Label Studio address
        if self.max_body_bytes < 1024:
            raise ConfigError("max body bytes must be at least 1024")
