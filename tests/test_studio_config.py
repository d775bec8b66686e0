"""What annotators see, checked without a browser: hotkeys, actor labels, colours (tests/test_browser_* drive it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from stancekit.actors import ACTOR_TYPES, ActorDictionary
from stancekit.errors import ConfigError
from stancekit.studio.config import (DEFAULT_STANCE_HOTKEYS, LABEL_STUDIO_KEYS, OTHER_ACTOR, OTHER_COLOUR,
                                     TYPE_COLOURS, LabelingConfig)


@pytest.fixture(scope="module")
def seed_config(seed_actors_path) -> LabelingConfig:
    return LabelingConfig(ActorDictionary.load(seed_actors_path))


def test_a_hotkey_label_studio_uses_itself_is_refused(seed_config):
    with pytest.raises(ConfigError, match=r"\['u'\] are Label Studio's own"):
        LabelingConfig(seed_config.dictionary, stance_hotkeys={**DEFAULT_STANCE_HOTKEYS, "unclear": "u"})
    keys = [c.get("hotkey") for c in ET.fromstring(seed_config.xml()).iter("Choice")]
    assert len(keys) == 7 and not set(keys) & LABEL_STUDIO_KEYS


def test_actor_labels_bind_no_key(seed_config):
    labels = list(ET.fromstring(seed_config.xml()).iter("Label"))
    assert len(labels) == len(seed_config.dictionary) + 1
    assert {label.get("hotkey") for label in labels} == {" "}  # blank: Label Studio assigns none


def test_every_actor_type_has_its_own_colour(seed_config):
    assert set(TYPE_COLOURS) == set(ACTOR_TYPES)
    assert len(set(TYPE_COLOURS.values()) | {OTHER_COLOUR}) == len(ACTOR_TYPES) + 1
    colours = {label.get("value"): label.get("background") for label in ET.fromstring(seed_config.xml()).iter("Label")}
    assert [actor for actor, colour in colours.items() if colour == OTHER_COLOUR] == [OTHER_ACTOR]
