"""The extraction job behind ``stancekit sentences`` and ``stancekit mentions`` (light to import: the
command line reads :class:`ExtractConfig`; the job's code loads when it runs)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from stancekit.errors import ConfigError, InputError
from stancekit.options import ACTORS, INPUTS, SKIP_BAD, STDOUT_OR_FILE, check_fields, option

if TYPE_CHECKING:
    from stancekit.records import Document, Sentence


@dataclass
class ExtractConfig:
    """What to read, which actors to find, and where to write sentence records."""

    inputs: list[Path] = INPUTS()
    actors: Path | None = ACTORS(None)
    output: Path | None = STDOUT_OR_FILE(None)
    skip_bad: bool = SKIP_BAD(False)
    roll_up: bool = option(False, help="Attribute each mention to the top of its actor's parent chain (Putin -> "
                           "Russia).", flags=("--roll-up",))
    only_with_mentions: bool = option(False, help="Drop sentences without actors.", flags=("--only-with-mentions",))

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ConfigError("no input given: expected one or more files or folders of coverage")
        check_fields(self)
        if self.actors is None and (self.roll_up or self.only_with_mentions):
            raise ConfigError("--roll-up and --only-with-mentions need an actor dictionary (--actors FILE)")
        if self.output is not None:
            if self.output.resolve() in {p.resolve() for p in self.inputs}:
                raise ConfigError(f"output {self.output} is also an input; choose another output path")


@dataclass
class ExtractSummary:
    documents: int = 0
    sentences: int = 0
    mentions: int = 0
    skipped: list[InputError] = field(default_factory=list)


def iter_records(config: ExtractConfig, summary: ExtractSummary,
                 on_bad: Callable[[InputError], None] | None = None) -> Iterator[Sentence]:
    """Stream the sentence records the config asks for, counting into ``summary``."""
    from tqdm import tqdm  # the job's code is imported when it runs: the command line only reads the config

    from stancekit.actors import ActorDictionary, DictionaryMatcher
    from stancekit.pipeline import iter_sentences, roll_up
    from stancekit.readers import iter_documents

    dictionary = ActorDictionary.load(config.actors) if config.actors is not None else None
    matcher = DictionaryMatcher(dictionary) if dictionary is not None else None

    def bad(err: InputError) -> None:
        summary.skipped.append(err)
        if on_bad is not None:
            on_bad(err)

    def counted_documents() -> Iterator[Document]:
        documents = iter_documents(config.inputs, skip_bad=config.skip_bad, on_bad=bad)
        for doc in tqdm(documents, unit="doc", desc="reading", disable=None):  # a bar only on a terminal
            summary.documents += 1
            yield doc

    for sentence in iter_sentences(counted_documents(), matcher=matcher):
        if config.roll_up and dictionary is not None:
            sentence = dataclasses.replace(sentence, mentions=roll_up(sentence.mentions, dictionary))
        summary.sentences += 1
        summary.mentions += len(sentence.mentions)
        if config.only_with_mentions and not sentence.mentions:
            continue
        yield sentence


def extract(config: ExtractConfig, *, on_bad: Callable[[InputError], None] | None = None) -> ExtractSummary:
    """Run the job: write the records as JSONL (stdout when no output is set)."""
    from stancekit.io import write_jsonl

    summary = ExtractSummary()
    if on_bad is None:
        on_bad = lambda err: print(f"skipped: {err}", file=sys.stderr)  # noqa: E731
    write_jsonl((s.to_dict() for s in iter_records(config, summary, on_bad)), config.output)
    return summary
