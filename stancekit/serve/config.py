"""The settings of ``stancekit serve``: light to import (the command line reads their defaults)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stancekit.errors import ConfigError
from stancekit.models.manifest import MANIFEST
from stancekit.models.options import InferenceOptions


@dataclass
class TrainingSettings:
    """How a retraining run trains (see :class:`~stancekit.serve.retrain.RetrainJob`) and when one starts."""

    held_out: float = 0.2
    epochs: float = 4.0
    max_steps: int = -1
    batch_size: int = 16
    threads: int | None = 1
    train_every: int = 0  # start a run after this many new/updated annotations of a project (0: only on request)

    def __post_init__(self) -> None:
        if not 0 < self.held_out < 0.5:
            raise ConfigError(f"--held-out must be a share in (0, 0.5), found {self.held_out}")
        if self.epochs <= 0 or self.batch_size < 1 or (self.threads is not None and self.threads < 1):
            raise ConfigError("training epochs, batch size and threads must be positive")
        if self.train_every < 0:
            raise ConfigError(f"--train-every must be 0 (off) or a number of annotations, found {self.train_every}")


@dataclass
class ServeConfig:
    """The served models, the address, the limits on a request, and how retraining runs."""

    model: Path
    actors: Path | None = None
    sentiment_model: Path | None = None
    host: str = "127.0.0.1"
    port: int = 9090
    versions_dir: Path | None = None  # default: <model>/versions
    studio_url: str | None = None  # default: the hostname Label Studio sends to /setup, else LABEL_STUDIO_URL
    basic_auth_user: str = ""
    basic_auth_password: str = field(default="", repr=False)
    max_text_chars: int = 20_000
    max_body_bytes: int = 32 * 1024 * 1024
    inference: InferenceOptions = field(default_factory=lambda: InferenceOptions(device="cpu"))
    threads: int | None = 1  # torch intra-op threads for predictions (None: all cores); see the CLI help
    training: TrainingSettings = field(default_factory=TrainingSettings)

    def __post_init__(self) -> None:
        self.model = Path(self.model)
        if not (self.model / MANIFEST).is_file():
            raise ConfigError(f"{self.model} is not a stancekit model folder ({MANIFEST} missing); pass --model "
                              "a folder written by stancekit train")
        for name in ("actors", "sentiment_model", "versions_dir"):
            value = getattr(self, name)
            setattr(self, name, Path(value) if value is not None else None)
        if self.actors is not None and not self.actors.is_file():
            raise ConfigError(f"actor dictionary {self.actors} not found; pass --actors FILE (YAML)")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be 1-65535, found {self.port}")
        if bool(self.basic_auth_user) != bool(self.basic_auth_password):
            raise ConfigError("basic auth needs both a user and a password (STANCEKIT_BASIC_AUTH_USER and "
                              "STANCEKIT_BASIC_AUTH_PASSWORD), or neither")
        if self.studio_url is not None and not self.studio_url.startswith(("http://", "https://")):
            raise ConfigError(f"--studio-url must be like http://127.0.0.1:8080, found {self.studio_url!r}")
        if self.max_text_chars < 1 or self.max_body_bytes < 1024:
            raise ConfigError("max text chars and max body bytes (>= 1024) must be positive")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, found {self.threads}")
