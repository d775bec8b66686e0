"""Labelled examples for training and evaluation, read from NewsMTSC directories or gold datasets.

Both formats become :class:`~stancekit.records.Example` objects: a sentence with its mentions, one
gold stance per mention (``None`` when unclear/missing) and a sentence sentiment. The NewsMTSC reader
is here; the gold dataset format (and telling it apart) is :mod:`stancekit.gold.dataset`'s.
The same examples serve the stance task (one label per mention) and the sentiment task (one
label per sentence).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from stancekit.errors import InputError
from stancekit.gold import dataset as gold_dataset
from stancekit.io import file_sha256, read_numbered_jsonl
from stancekit.labels import NEWSMTSC_POLARITY, Task
from stancekit.records import Example, Mention, Sentence

DataFormat = Literal["auto", "newsmtsc", "gold"]
DATA_FORMATS: tuple[str, ...] = get_args(DataFormat)
Split = Literal["train", "validation", "test"]
# NewsMTSC ships train.jsonl, dev_rw/dev_mt and (outside shared/) test_rw/test_mt
NEWSMTSC_SPLITS: dict[str, tuple[str, ...]] = {
    "train": ("train.jsonl",),
    "validation": ("dev_rw.jsonl", "dev_mt.jsonl"),
    "test": ("test_rw.jsonl", "test_mt.jsonl"),
}


@dataclass(frozen=True)
class SourceFile:
    """One file that examples were read from, with a content fingerprint for the model card."""

    path: str
    sha256: str
    examples: int
    labelled: int

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "sha256": self.sha256, "examples": self.examples, "labelled": self.labelled}


@dataclass
class ExampleSet:
    """Examples of one split from one or more sources, plus where they came from."""

    examples: list[Example] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    formats: set[str] = field(default_factory=set)

    def extend(self, other: "ExampleSet") -> None:
        self.examples.extend(other.examples)
        self.sources.extend(other.sources)
        self.formats |= other.formats

    def label_counts(self, task: Task) -> Counter[str]:
        return Counter(label for ex in self.examples for label in ex.labels(task) if label is not None)


def detect_format(path: Path) -> Literal["newsmtsc", "gold"]:
    """``gold`` for a dataset folder built by ``stancekit dataset build`` or a parquet file, else ``newsmtsc``."""
    if gold_dataset.is_gold(path):
        return "gold"
    if (path.is_dir() and any(path.glob("*.jsonl"))) or path.suffix == ".jsonl":
        return "newsmtsc"
    raise InputError(path, "not a NewsMTSC file/folder (*.jsonl) nor a gold dataset (*.parquet)",
                     hint="give a NewsMTSC folder, a dataset folder built by 'stancekit dataset build', or one file")


def split_names(split: Split, data_format: Literal["newsmtsc", "gold"]) -> tuple[str, ...]:
    """The file names that hold ``split`` in a dataset folder of ``data_format``."""
    return NEWSMTSC_SPLITS[split] if data_format == "newsmtsc" else (f"{split}.parquet",)


def split_files(path: Path, split: Split, data_format: Literal["newsmtsc", "gold"]) -> list[Path]:
    """The files of ``split`` under a dataset folder (a file stands for itself)."""
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_file():
        return [path]
    names = split_names(split, data_format)
    found = [path / name for name in names if (path / name).is_file()]
    if not found:
        raise InputError(path, f"no {split} split here: expected {' or '.join(names)}",
                         hint="pass the split's file itself, or a folder that has it")
    return found


def read_newsmtsc(path: Path) -> list[Example]:
    """One example per NewsMTSC line: polarity 2/4/6 becomes stance against/neutral/favor."""
    examples = []
    for line_no, record in read_numbered_jsonl(path):
        try:
            text = record["sentence_normalized"]
            targets = record["targets"]
            doc_id = str(record.get("primary_gid", f"{path.stem}:{line_no}"))
        except (KeyError, TypeError) as exc:
            raise InputError(path, f"not a NewsMTSC record ({type(exc).__name__}: {exc}); expected "
                             "'sentence_normalized' and 'targets'", line=line_no) from None
        mentions, stances = [], []
        for target in targets:
            try:
                start, end, polarity = int(target["from"]), int(target["to"]), float(target["polarity"])
                actor = str(target.get("Input.gid", target.get("mention", "")))
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(path, f"target lacks from/to/polarity ({exc})", line=line_no) from None
            if not 0 <= start < end <= len(text):
                raise InputError(path, f"target offsets {start}:{end} outside the sentence "
                                 f"({len(text)} characters)", line=line_no)
            if polarity not in NEWSMTSC_POLARITY:
                raise InputError(path, f"unknown polarity {polarity}: expected one of "
                                 f"{sorted(NEWSMTSC_POLARITY)}", line=line_no)
            mentions.append(Mention(actor, start, end, text[start:end]))
            stances.append(NEWSMTSC_POLARITY[polarity])
        sentence = Sentence(doc_id, 0, 0, len(text), text, tuple(mentions), {"source": f"{path.name}:{line_no}"})
        examples.append(Example(sentence, tuple(stances), None))
    return examples


def read_file(file: Path, data_format: Literal["newsmtsc", "gold"] | None = None) -> list[Example]:
    """The examples of one file of either format (detected when not given)."""
    fmt = data_format or detect_format(file)
    return read_newsmtsc(file) if fmt == "newsmtsc" else gold_dataset.read_examples(file)


def load_examples(paths: Iterable[str | Path], *, split: Split, data_format: DataFormat = "auto") -> ExampleSet:
    """Read the ``split`` examples of each source (NewsMTSC file/folder, gold dataset folder/file)."""
    result = ExampleSet()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(path, "no such file or folder")
        fmt = detect_format(path) if data_format == "auto" else data_format
        for file in split_files(path, split, fmt):
            examples = read_file(file, fmt)
            labelled = sum(label is not None for ex in examples for label in ex.stances) + sum(
                ex.sentiment is not None for ex in examples)
            result.extend(ExampleSet(examples, [SourceFile(str(file), file_sha256(file), len(examples), labelled)],
                                     {fmt}))
    return result


def require_labels(data: ExampleSet, task: Task, *, what: str) -> Counter[str]:
    """The label counts of ``task``; an empty set is an error naming the sources."""
    counts = data.label_counts(task)
    if not counts:
        sources = ", ".join(s.path for s in data.sources) or "(no source)"
        raise InputError(sources, f"no {task}-labelled examples in the {what} data "
                         f"({len(data.examples)} sentences read)",
                         hint="check the path, the split and --task" if task == "stance"
                         else "sentiment needs gold datasets with a sentiment column")
    return counts
