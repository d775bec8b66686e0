"""The control names of a project's labeling config: the one place that says where each answer goes.

Label Studio stores predictions without checking them against the config: a result whose
``from_name`` the config lacks is stored and then shows nothing; and an annotation is read back by its
control names. So every stage reads them from the config at hand rather than assuming stancekit's
own: ``ls push`` from the config it sends, ``ls pull``/``ls parse`` from the project's config saved
beside the export, ``ls adjudicate`` from the review config, the ML backend from the config Label
Studio gives it (``/setup``'s ``schema`` or ``/predict``'s ``label_config``). From a config it reads:

- the ``Text`` object the spans index (the one whose value is ``$text``, else the first),
- the ``Labels`` control on it (actor spans),
- the per-region ``Choices`` on it (stance per span) and the ``Choices`` for the whole text
  (sentence sentiment),

and the values each control allows. Without a config (an export pulled by an older stancekit),
stancekit's own names are used: those of the shipped template (``annotate/labeling-config.xml``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from stancekit.errors import ConfigError

# the names in the shipped template (stancekit/templates/labeling-config.xml)
TEXT_FIELD, ACTOR_FIELD, STANCE_FIELD, SENTIMENT_FIELD = "text", "actor", "stance", "sentiment"


@dataclass(frozen=True)
class Controls:
    """Where each answer goes: control names (None: the config has no such control) and allowed values."""

    text: str = TEXT_FIELD  # the Text object's name
    text_key: str = TEXT_FIELD  # the task data key it shows ($text)
    actor: str = ACTOR_FIELD
    stance: str | None = STANCE_FIELD
    sentiment: str | None = SENTIMENT_FIELD
    actor_values: frozenset[str] = field(default_factory=frozenset)  # empty: any value
    stance_values: frozenset[str] = field(default_factory=frozenset)
    sentiment_values: frozenset[str] = field(default_factory=frozenset)


DEFAULT_CONTROLS = Controls()


def _pick(elements: list[ET.Element], preferred: str) -> ET.Element | None:
    return next((e for e in elements if e.get("name") == preferred), elements[0] if elements else None)


def _values(element: ET.Element | None, child: str) -> frozenset[str]:
    if element is None:
        return frozenset()
    return frozenset(c.get("value", "") for c in element.iter(child) if c.get("value"))


def controls_from_config(xml: str) -> Controls:
    """Read the control names from a Label Studio labeling config (ConfigError if it has no Text/Labels)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ConfigError(f"the labeling config is not valid XML ({exc}); pass the project's label_config") from None
    texts = [e for e in root.iter("Text") if e.get("name") and (e.get("value") or "").startswith("$")]
    text = next((e for e in texts if e.get("value") == f"${TEXT_FIELD}"), texts[0] if texts else None)
    if text is None:
        raise ConfigError("the labeling config has no <Text name=... value=\"$...\"> object; stancekit predicts "
                          "actor spans in a Text (use the config `stancekit ls config` prints)")
    name = text.get("name", "")
    labels = [e for e in root.iter("Labels") if e.get("toName") == name]
    if not labels:
        raise ConfigError(f"the labeling config has no <Labels toName=\"{name}\"> control for actor spans; "
                          "use the config `stancekit ls config` prints")
    choices = [e for e in root.iter("Choices") if e.get("toName") == name]
    per_region = [e for e in choices if (e.get("perRegion") or "").lower() == "true"]
    whole = [e for e in choices if (e.get("perRegion") or "").lower() != "true"]
    actor = next((e for e in labels if e.get("name") == ACTOR_FIELD), labels[0])
    stance, sentiment = _pick(per_region, STANCE_FIELD), _pick(whole, SENTIMENT_FIELD)
    return Controls(
        text=name, text_key=(text.get("value") or "")[1:], actor=actor.get("name", ""),
        stance=stance.get("name") if stance is not None else None,
        sentiment=sentiment.get("name") if sentiment is not None else None,
        actor_values=_values(actor, "Label"), stance_values=_values(stance, "Choice"),
        sentiment_values=_values(sentiment, "Choice"),
    )
