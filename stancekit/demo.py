"""The demo: the seed coverage through the stancekit pipeline, summarised per actor."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.errors import ConfigError
from stancekit.pipeline import iter_sentences
from stancekit.readers import iter_documents
from stancekit.records import Sentence

REPO_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def find_seeds(seeds_dir: Path | None = None) -> Path:
    """The seed folder: the one given, else ``./seeds``, else the repository's ``seeds/``."""
    for candidate in ([seeds_dir] if seeds_dir is not None else [Path("seeds"), REPO_SEEDS]):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"no seed folder found (looked for {seeds_dir or './seeds and ' + str(REPO_SEEDS)}); "
                      "pass --seeds DIR with coverage files and one *.actors.yaml")


@dataclass
class DemoConfig:
    """Where the seed coverage and its actor dictionary are."""

    seeds_dir: Path | None = None
    actors: Path | None = None

    def __post_init__(self) -> None:
        self.seeds_dir = find_seeds(self.seeds_dir)
        if self.actors is None:
            found = sorted(self.seeds_dir.glob("*.actors.yaml"))
            if len(found) != 1:
                raise ConfigError(f"expected exactly one *.actors.yaml in {self.seeds_dir}, found {len(found)}; "
                                  "pass --actors FILE")
            self.actors = found[0]


@dataclass
class ActorSummary:
    actor_id: str
    name: str
    type: str
    mentions: int
    example: str  # a sentence that mentions the actor
    example_span: tuple[int, int]  # the mention's offsets in ``example``


@dataclass
class DemoResult:
    documents: int = 0
    sentences: list[Sentence] = field(default_factory=list)
    actors: list[ActorSummary] = field(default_factory=list)


def summarise_mentions(config: DemoConfig) -> DemoResult:
    """Read the seed coverage, find the actors and count their mentions (most mentioned first)."""
    dictionary = ActorDictionary.load(config.actors)
    documents = list(iter_documents([config.seeds_dir]))
    sentences = list(iter_sentences(documents, matcher=DictionaryMatcher(dictionary)))
    counts: Counter[str] = Counter()
    examples: dict[str, tuple[str, tuple[int, int]]] = {}
    for sentence in sentences:
        for mention in sentence.mentions:
            counts[mention.actor] += 1
            examples.setdefault(mention.actor, (sentence.text, (mention.start, mention.end)))
    actors = [ActorSummary(a, dictionary[a].name, dictionary[a].type, n, *examples[a]) for a, n in counts.most_common()]
    return DemoResult(documents=len(documents), sentences=sentences, actors=actors)
