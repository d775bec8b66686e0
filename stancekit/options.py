"""Options declared once: a job's config dataclass field carries its command-line help.

``option(default, help=..., flags=...)`` is a ``dataclasses.field`` whose metadata the CLI turns
into a typer option (see ``stancekit.cli._options.config_command``); a field without help is not
on the command line. A field whose type is itself such a dataclass (e.g. ``InferenceOptions``) is
flattened: its options appear under their own names.

The options several commands share (the actor dictionary, the model folder, the output, Label
Studio's address, token and project, the sentiment model, threads, device...) are declared here
once, as :class:`Shared` values, and every config uses them (``actors: Path = ACTORS()``), so that
each has one name, one short flag, one help text and one metavar everywhere. A shared option with a
``setting`` takes its default from the project file (``stancekit.toml``, see ``stancekit.project``).

A field may also declare what its value must be: a :class:`~stancekit.paths.PathRule` (an existing
file, folder, an output...) or a range (``min``/``max`` inclusive, ``above``/``below`` exclusive).
The command line checks both as it parses (a usage error, exit 2); :func:`check_fields`, called by
each config's ``__post_init__``, checks them again for Python callers, with the same messages.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import MISSING, dataclass, field
from typing import Any

from stancekit.errors import ConfigError
from stancekit.paths import PathRule


@dataclass(frozen=True)
class Range:
    """Where a number must lie: ``min``/``max`` inclusive, ``above``/``below`` exclusive (None: unbounded)."""

    min: float | None = None
    max: float | None = None
    above: float | None = None
    below: float | None = None

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range (None when it is in range)."""
        if isinstance(value, float) and not math.isfinite(value):
            return f"expected a finite number, found {value}"
        if ((self.min is not None and value < self.min) or (self.max is not None and value > self.max)
                or (self.above is not None and value <= self.above)
                or (self.below is not None and value >= self.below)):
            return f"expected a number {self.describe()}, found {value:g}"
        return None

    def describe(self) -> str:
        """The range in words: "between 0 and 1", "at least 1", "more than 0 and less than 0.5"."""
        if self.min is not None and self.max is not None:
            return f"between {self.min:g} and {self.max:g}"
        if self.above is not None and self.below is not None:
            return f"between {self.above:g} and {self.below:g} (exclusive)"
        low = (f"at least {self.min:g}" if self.min is not None else
               f"more than {self.above:g}" if self.above is not None else "")
        high = (f"at most {self.max:g}" if self.max is not None else
                f"less than {self.below:g}" if self.below is not None else "")
        return " and ".join(filter(None, (low, high)))


def option(default: Any = MISSING, *, help: str, flags: tuple[str, ...] = (), argument: bool = False,
           envvar: str | None = None, default_factory: Any = MISSING, show_default: bool = True,
           metavar: str | None = None, path: PathRule | None = None, range: Range | None = None,
           setting: str | None = None, repr: bool = True) -> Any:
    """A config field that is also a command-line option (``argument=True``: a positional argument).

    ``metavar``: the value's name in help (default: from the type: N, NUMBER, TEXT, PATH, the choices);
    ``path``/``range``: what the value must be; ``setting``: the project-file key giving its default.
    """
    metadata = {"help": help, "flags": flags, "argument": argument, "envvar": envvar, "show_default": show_default,
                "metavar": metavar, "path": path, "range": range, "setting": setting}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata, repr=repr)
    return field(default=default, metadata=metadata, repr=repr)


def nested(factory: Any) -> Any:
    """A config field holding another options dataclass, whose options are flattened onto the command line."""
    return field(default_factory=factory, metadata={"nested": True})


@dataclass(frozen=True)
class Shared:
    """An option several commands share, declared once: ``ACTORS()`` or ``ACTORS(None)`` makes the field."""

    flags: tuple[str, ...]  # () for a positional argument
    help: str
    metavar: str
    path: PathRule | None = None
    range: Range | None = None
    setting: str | None = None  # its key in the project file
    argument: bool = False

    def __call__(self, default: Any = MISSING, *, default_factory: Any = MISSING, show_default: bool = True,
                 repr: bool = True, project_default: bool = True) -> Any:
        """The config field; ``project_default=False``: the project file's setting does not apply here."""
        return option(default, help=self.help, flags=self.flags, argument=self.argument, metavar=self.metavar,
                      path=self.path, range=self.range, setting=self.setting if project_default else None,
                      default_factory=default_factory, show_default=show_default, repr=repr)


COVERAGE = PathRule("file-or-folder", "coverage: .txt/.text, .jsonl/.ndjson, .csv/.tsv files or folders of them")
DICTIONARY = PathRule("file", "an actor dictionary (YAML)", stream=True)
MODEL_FOLDER = PathRule("folder", "a model folder written by `stancekit train`")

INPUTS = Shared((), "Coverage: .txt/.text, .jsonl/.ndjson and .csv/.tsv files, or folders of them (read "
                "recursively; each file not read is named on stderr).", "PATH...", path=COVERAGE, argument=True)
ACTORS = Shared(("--actors", "-a"), "Actor dictionary (YAML).", "FILE", path=DICTIONARY, setting="actors")
DICTIONARY_ARGUMENT = Shared((), "Actor dictionary (YAML).", "FILE", path=DICTIONARY, setting="actors",
                             argument=True)
MODEL = Shared(("--model", "-m"), "Model folder written by `stancekit train`.", "DIR", path=MODEL_FOLDER,
               setting="model")
SENTIMENT_MODEL = Shared(("--sentiment-model",), "Sentiment model folder (`stancekit train --task sentiment`): "
                         "adds each sentence's sentiment.", "DIR", path=MODEL_FOLDER, setting="sentiment_model")
OUTPUT_FILE = Shared(("--output", "-o"), "Output file, written whole or not at all (atomically).", "FILE",
                     path=PathRule("output-file", "an output file"))
STDOUT_OR_FILE = Shared(("--output", "-o"), "Output file, written whole or not at all (atomically); default: "
                        "standard output.", "FILE", path=PathRule("output-file", "an output file", stream=True))
OUTPUT_DIR = Shared(("--output", "-o"), "Output folder, written whole or not at all (atomically).", "DIR",
                    path=PathRule("output-folder", "an output folder"))
SKIP_BAD = Shared(("--skip-bad",), "Report each bad document on stderr and go on.", "")
PROJECT = Shared(("--project", "-p"), "Label Studio project title.", "TITLE", setting="label_studio.project")
STUDIO_URL = Shared(("--url",), "Label Studio's address (default: $LABEL_STUDIO_URL, else label_studio.url of the "
                    "project file, else http://127.0.0.1:8080).", "URL")
STUDIO_TOKEN = Shared(("--token",), "Label Studio API token, legacy or personal access token (default: "
                      "$LABEL_STUDIO_API_KEY; prefer the environment variable: a flag shows in `ps`).", "TOKEN")
THREADS = Shared(("--threads",), "CPU threads the model may use (not given: all cores; 1 keeps a shared machine "
                 "responsive).", "N",
                 range=Range(min=1), setting="threads")
DEVICE = Shared(("--device",), "Where the model runs: auto (a GPU when present), cpu, cuda, cuda:N.", "DEVICE",
                setting="device")
JSON = Shared(("--json",), "Print one JSON object on standard output instead of tables.", "")
STUDIO_DATA = Shared(("--data-dir",), "Folder of the local Label Studio's database and files.", "DIR",
                     path=PathRule("output-folder", "the folder of a local Label Studio"),
                     setting="label_studio.data_dir")

SHARED: tuple[Shared, ...] = (INPUTS, ACTORS, DICTIONARY_ARGUMENT, MODEL, SENTIMENT_MODEL, OUTPUT_FILE,
                              STDOUT_OR_FILE, OUTPUT_DIR, SKIP_BAD, PROJECT, STUDIO_URL, STUDIO_TOKEN, THREADS,
                              DEVICE, JSON, STUDIO_DATA)


def option_name(f: dataclasses.Field) -> str:
    """How messages name a field: its long flag, its metavar (an argument), else its name."""
    meta = f.metadata
    if meta.get("argument"):
        return meta.get("metavar") or f.name.upper()
    flags = [x.split("/")[0] for x in meta.get("flags", ()) if x.startswith("--")]
    return flags[0] if flags else "--" + f.name.replace("_", "-")


def check_value(f: dataclasses.Field, value: Any) -> Any:
    """``value`` checked against the field's path rule and range (and made a Path); ConfigError if not."""
    meta = f.metadata
    if value is None:
        return value
    rule: PathRule | None = meta.get("path")
    if rule is not None:
        if isinstance(value, (list, tuple)):
            return [rule.check(v, option=option_name(f)) for v in value]
        return rule.check(value, option=option_name(f))
    bounds: Range | None = meta.get("range")
    if bounds is not None and not isinstance(value, bool):
        if problem := bounds.problem(value):
            raise ConfigError(f"{option_name(f)}: {problem}")
    return value


def check_fields(config: Any) -> None:
    """Check every declared path and range of a config (nested options are checked by their own class)."""
    for f in dataclasses.fields(config):
        if f.metadata.get("path") is None and f.metadata.get("range") is None:
            continue
        value = check_value(f, getattr(config, f.name))
        object.__setattr__(config, f.name, value)  # frozen configs too: the value is only normalised to a Path


def flag(config_cls: type, name: str) -> str:
    """The long command-line flag of a config field, for messages that tell the user which option to pass."""
    return option_name(next(f for f in dataclasses.fields(config_cls) if f.name == name))
