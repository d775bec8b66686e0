"""The Label Studio project: labeling config from the label scheme and the actor dictionary, plus
the annotation guidelines rendered into the project's instructions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from xml.sax.saxutils import quoteattr

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError
from stancekit.extras import require_extra
from stancekit.labels import LabelScheme

# package data: stancekit/templates/ links to annotate/, where the config and the guidelines are edited
TEMPLATE_NAME = "labeling-config.xml"
GUIDELINES_NAME = "guidelines.md"
OTHER_ACTOR = "other"  # the label for an actor the dictionary lacks; mapped (or reported) on pull

# Keys Label Studio 1.23 itself binds (its keymap: u = unselect region, backspace = delete region;
# h o e m k w p r v b [ ] = image tools) are avoided, and no stance key sits next to a sentiment key.
DEFAULT_STANCE_HOTKEYS = {"favor": "f", "against": "a", "neutral": "n", "unclear": "c"}
DEFAULT_SENTIMENT_HOTKEYS = {"positive": "g", "negative": "x", "neutral": "z"}
LABEL_STUDIO_KEYS = frozenset("uhoemkwpvrb[]")
# One colour per actor type of the dictionary (stancekit.actors.ACTOR_TYPES); "other" stays grey.
TYPE_COLOURS = {"state": "#4e79a7", "government": "#59a14f", "military": "#e15759", "leader": "#f28e2b",
                "official": "#edc948", "ministry": "#8cd17d", "armed_group": "#9c755f", "organisation": "#b07aa1",
                "person": "#ff9da7", "media": "#86bcb6", "region": "#76b7b2", "other": "#d4a6c8"}
OTHER_COLOUR = "#bab0ac"
# Label Studio gives every label without a hotkey one of its own (1-0, q, w, e, t, a, s...), so that a
# stray key relabels the selected span; a blank hotkey binds no key and stops that.
NO_HOTKEY = " "

ADJUDICATION_PANEL = """  <Header value="Annotators' answers (your answer wins)" size="5"/>
  <View className="sk-context"><Text name="answers" value="$answers" granularity="word"/></View>"""


def template(name: str) -> str:
    """A template shipped with stancekit (``stancekit/templates/``, edited in the checkout's ``annotate/``)."""
    return (resources.files("stancekit") / "templates" / name).read_text(encoding="utf-8")


@dataclass
class LabelingConfig:
    """What annotators see: actor labels, stance and sentiment choices with hotkeys."""

    dictionary: ActorDictionary
    scheme: LabelScheme = field(default_factory=LabelScheme)
    stance_hotkeys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STANCE_HOTKEYS))
    sentiment_hotkeys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SENTIMENT_HOTKEYS))

    def __post_init__(self) -> None:
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
        taken = sorted(set(used) & LABEL_STUDIO_KEYS)
        if taken:
            raise ConfigError(f"hotkeys {taken} are Label Studio's own (e.g. u unselects the span, so its answer "
                              f"is lost); choose keys outside {''.join(sorted(LABEL_STUDIO_KEYS))}")

    @property
    def stance_labels(self) -> tuple[str, ...]:
        return self.scheme.stance + self.scheme.annotator_only

    def xml(self, *, adjudication: bool = False) -> str:
        """The Label Studio labeling config (XML)."""
        xml = re.sub(r"<!--.*?-->\s*", "", template(TEMPLATE_NAME), flags=re.S)
        actors = [_label(a.id, TYPE_COLOURS.get(a.type, OTHER_COLOUR)) for a in self.dictionary]
        actors.append(_label(OTHER_ACTOR, OTHER_COLOUR))
        try:
            return xml.format(
                actor_labels="\n".join(actors),
                stance_choices=_choices(self.stance_labels, self.stance_hotkeys, indent=6),
                sentiment_choices=_choices(self.scheme.sentiment, self.sentiment_hotkeys, indent=6),
                adjudication_panel=ADJUDICATION_PANEL if adjudication else "",
            )
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"{TEMPLATE_NAME}: bad placeholder {exc}; the template may use "
                              "{actor_labels}, {stance_choices}, {sentiment_choices}, {adjudication_panel} "
                              "and must double other braces") from None

    def instructions(self) -> str:
        """The guidelines as HTML, for the project's instructions page."""
        require_extra("studio")
        from markdown_it import MarkdownIt

        return MarkdownIt("commonmark").enable("table").render(template(GUIDELINES_NAME))


def _choices(labels: tuple[str, ...], hotkeys: dict[str, str], *, indent: int) -> str:
    pad = " " * indent
    lines = []
    for label in labels:
        key = f" hotkey={quoteattr(hotkeys[label])}" if label in hotkeys else ""
        lines.append(f"{pad}<Choice value={quoteattr(label)}{key}/>")
    return "\n".join(lines)


def _label(value: str, colour: str) -> str:
    return f'      <Label value={quoteattr(value)} background="{colour}" hotkey="{NO_HOTKEY}"/>'
