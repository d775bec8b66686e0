"""The Label Studio project: labeling config from the label scheme and the actor dictionary, plus
the annotation guidelines rendered into the project's instructions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from markdown_it import MarkdownIt

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError
from stancekit.labels import LabelScheme
from stancekit.paths import REPO

REPO_ANNOTATE = REPO / "annotate"
TEMPLATE_NAME = "labeling-config.xml"
GUIDELINES_NAME = "guidelines.md"
OTHER_ACTOR = "other"  # the label for an actor the dictionary lacks; mapped (or reported) on pull

DEFAULT_STANCE_HOTKEYS = {"favor": "f", "against": "a", "neutral": "n", "unclear": "u"}
DEFAULT_SENTIMENT_HOTKEYS = {"positive": "p", "negative": "x", "neutral": "z"}
TYPE_COLOURS = {"state": "#4e79a7", "government": "#59a14f", "military": "#e15759", "leader": "#f28e2b",
                "person": "#f28e2b", "region": "#76b7b2", "organization": "#b07aa1", "group": "#9c755f"}

ADJUDICATION_PANEL = """  <Header value="Annotators' answers (your answer wins)" size="5"/>
  <View className="sk-context"><Text name="answers" value="$answers" granularity="word"/></View>"""


def find_annotate_dir(path: Path | None = None) -> Path:
    """The folder with the config template and guidelines: the one given, ./annotate, or the repository's."""
    for candidate in ([path] if path is not None else [Path("annotate"), REPO_ANNOTATE]):
        if (candidate / TEMPLATE_NAME).is_file():
            return candidate
    raise ConfigError(f"no {TEMPLATE_NAME} found in {path or './annotate or ' + str(REPO_ANNOTATE)}; "
                      "pass --annotate-dir DIR holding labeling-config.xml and guidelines.md")


@dataclass
class LabelingConfig:
    """What annotators see: actor labels, stance and sentiment choices with hotkeys."""

    dictionary: ActorDictionary
    scheme: LabelScheme = field(default_factory=LabelScheme)
    annotate_dir: Path | None = None
    stance_hotkeys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STANCE_HOTKEYS))
    sentiment_hotkeys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SENTIMENT_HOTKEYS))

    def __post_init__(self) -> None:
        self.annotate_dir = find_annotate_dir(self.annotate_dir)
        if OTHER_ACTOR in self.dictionary:
            raise ConfigError(f"actor id {OTHER_ACTOR!r} is reserved for actors missing from the dictionary; "
                              "rename that actor")
        for name, keys, labels in (("stance", self.stance_hotkeys, self.stance_labels),
                                   ("sentiment", self.sentiment_hotkeys, self.scheme.sentiment)):
            unknown = set(keys) - set(labels)
            if unknown:
                raise ConfigError(f"{name} hotkeys name unknown labels {sorted(unknown)}; labels are {list(labels)}")
        used = list(self.stance_hotkeys.values()) + list(self.sentiment_hotkeys.values())
        if len(set(used)) != len(used):
            raise ConfigError(f"hotkeys must be distinct across stance and sentiment, found {used}")

    @property
    def stance_labels(self) -> tuple[str, ...]:
        return self.scheme.stance + self.scheme.annotator_only

    def xml(self, *, adjudication: bool = False) -> str:
        """The Label Studio labeling config (XML)."""
        template = re.sub(r"<!--.*?-->\s*", "", (self.annotate_dir / TEMPLATE_NAME).read_text(encoding="utf-8"),
                          flags=re.S)
        actors = [f'    <Label value={quoteattr(a.id)} background="{TYPE_COLOURS.get(a.type, "#bab0ac")}"/>'
                  for a in self.dictionary]
        actors.append(f'    <Label value="{OTHER_ACTOR}" background="#bab0ac"/>')
        try:
            return template.format(
                actor_labels="\n".join(actors),
                stance_choices=_choices(self.stance_labels, self.stance_hotkeys, indent=6),
                sentiment_choices=_choices(self.scheme.sentiment, self.sentiment_hotkeys, indent=4),
                adjudication_panel=ADJUDICATION_PANEL if adjudication else "",
            )
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"{self.annotate_dir / TEMPLATE_NAME}: bad placeholder {exc}; the template may use "
                              "{actor_labels}, {stance_choices}, {sentiment_choices}, {adjudication_panel} "
                              "and must double other braces") from None

    def instructions(self) -> str:
        """The guidelines as HTML, for the project's instructions page."""
        path = self.annotate_dir / GUIDELINES_NAME
        if not path.is_file():
            raise ConfigError(f"{path}: guidelines not found; annotators must see them (write them or pass "
                              "--annotate-dir)")
        return MarkdownIt("commonmark").enable("table").render(path.read_text(encoding="utf-8"))


def _choices(labels: tuple[str, ...], hotkeys: dict[str, str], *, indent: int) -> str:
    pad = " " * indent
    lines = []
    for label in labels:
        key = f" hotkey={quoteattr(hotkeys[label])}" if label in hotkeys else ""
        lines.append(f"{pad}<Choice value={quoteattr(label)}{key}/>")
    return "\n".join(lines)
