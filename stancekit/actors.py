"""Actor dictionaries (YAML) and finding actor mentions in text.

A dictionary is the analyst's definition of who a conflict's actors are, in the spirit of
CAMEO/PETRARCH actor dictionaries::

    conflict: nagorno-karabakh-2020
    actors:
      - id: russia
        name: Russia              # the name is always an alias too
        type: state
        aliases: [Russian Federation]
        demonyms: [Russian]       # matched as written and in the plural ("Russians")
      - id: russia-gov
        name: Russian government
        type: government
        parent: russia
        aliases: [the Kremlin, Moscow]
      - id: medvedev
        name: Dmitry Medvedev
        type: leader
        parent: russia-gov
        aliases:
          - Medvedev
          - {text: the Russian president, valid_from: 2008-05-07, valid_to: 2012-05-07}

Matching rules (documented in the README):

- **Case-aware**: an alias matches as written; one written in lower case at its start
  ("the Kremlin") also matches capitalised at a sentence start ("The Kremlin").
  All-caps datelines ("MOSCOW —") are therefore not mentions.
- **Word-bounded**: no letter or digit may touch either end, so "Russia" does not match
  in "Russian", but it does in "Russia's"/"Russia’s" (the span excludes the possessive).
- **Demonyms** match as written and, written in ASCII letters, with a plural "s" ("Azeri", "Azeris").
- **Overlaps**: the longest match wins; among equally long ones, the leftmost. Chosen
  mentions never overlap ("Azeri Defence Ministry" beats "Azeri").
- **Languages**: an alias may name its language (``{text: Путин, lang: ru}``); one without
  takes the language of the document it is matched in. In a language with an analyser
  (:mod:`stancekit.morphology`: Russian, Ukrainian, Armenian, Turkish, Azerbaijani) the alias
  also matches its inflected forms ("Армения" -> "Армении", "Нагорный Карабах" -> "Нагорном
  Карабахе"), generated from the alias, never by cutting words of the text, so look-alikes
  ("Армен", "Путинцев", "турецкий") do not match. Elsewhere it matches as written.
- **Dates**: an alias with ``valid_from``/``valid_to`` (inclusive) only matches in
  documents dated inside that window; in undated documents it matches, and where several
  actors share the alias the one whose window is latest wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import ahocorasick
import yaml

from stancekit.errors import ActorDictionaryError
from stancekit.languages import language_code
from stancekit.normalise import normalise, normalise_alias
from stancekit.options import DICTIONARY_ARGUMENT, check_fields
from stancekit.paths import open_input
from stancekit.records import Mention

if TYPE_CHECKING:
    from stancekit.morphology import Inflector

ACTOR_TYPES = (
    "state", "government", "military", "leader", "official", "ministry", "armed_group",
    "organisation", "person", "media", "region", "other",
)
_FAR_PAST = dt.date.min
_FAR_FUTURE = dt.date.max


@dataclass(frozen=True)
class Alias:
    """One surface form of an actor, optionally valid only between two dates (inclusive)."""

    text: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    common_word: bool = False  # the analyst allows a common word ("May") on purpose
    lang: str | None = None  # its language (ISO 639-1); None: the language of the document it is matched in

    def window(self) -> tuple[dt.date, dt.date]:
        return (self.valid_from or _FAR_PAST, self.valid_to or _FAR_FUTURE)

    def valid_on(self, date: dt.date | None) -> bool:
        lo, hi = self.window()
        return date is None or lo <= date <= hi


@dataclass(frozen=True)
class Actor:
    """A canonical actor of the dictionary."""

    id: str
    name: str
    type: str
    aliases: tuple[Alias, ...] = ()
    demonyms: tuple[str, ...] = ()
    parent: str | None = None
    description: str = ""

    def surface_forms(self) -> Iterator[Alias]:
        """Every string this actor is matched by, dated where its alias is."""
        yield Alias(self.name)
        yield from self.aliases
        for demonym in self.demonyms:
            yield Alias(demonym)
            if demonym.isascii() and not demonym.endswith("s"):  # English plural; other languages inflect
                yield Alias(demonym + "s")


@dataclass
class DictionaryConfig:
    """Which actor dictionary ``stancekit actors check`` / ``list`` reads."""

    actors: Path = DICTIONARY_ARGUMENT()

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class ActorDictionary:
    """A validated set of actors, keyed by id."""

    actors: dict[str, Actor]
    conflict: str = ""
    path: str = ""
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, actor_id: str) -> Actor:
        return self.actors[actor_id]

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self.actors

    def __iter__(self) -> Iterator[Actor]:
        return iter(self.actors.values())

    def __len__(self) -> int:
        return len(self.actors)

    def exact_only_aliases(self) -> list[tuple[str, Alias]]:
        """(actor id, alias) for each alias whose ``lang`` has no analyser: it matches only as written."""
        from stancekit.morphology import analyser_name

        return [(actor.id, alias) for actor in self for alias in actor.aliases
                if alias.lang is not None and analyser_name(alias.lang) is None]

    def ancestors(self, actor_id: str) -> list[str]:
        """The parent chain of an actor, nearest first (the dictionary has no cycles)."""
        chain: list[str] = []
        parent = self.actors[actor_id].parent
        while parent is not None:
            chain.append(parent)
            parent = self.actors[parent].parent
        return chain

    def root(self, actor_id: str) -> str:
        """The top of an actor's parent chain (the actor itself when it has no parent)."""
        chain = self.ancestors(actor_id)
        return chain[-1] if chain else actor_id

    @classmethod
    def load(cls, path: str | Path) -> "ActorDictionary":
        """Read and validate a YAML dictionary; raise ActorDictionaryError listing every problem."""
        path = Path(path)
        try:
            with open_input(path) as handle:  # once, from start to end: a pipe (<(...)) works too
                raw = yaml.safe_load(handle.read().decode("utf-8-sig"))
        except FileNotFoundError:
            raise ActorDictionaryError(path, ["file not found"]) from None
        except IsADirectoryError:
            raise ActorDictionaryError(path, ["a folder, not a file: expected an actor dictionary (YAML)"]) from None
        except OSError as exc:
            raise ActorDictionaryError(path, [f"cannot be read: {exc.strerror or exc}"]) from None
        except UnicodeDecodeError:
            raise ActorDictionaryError(path, ["not UTF-8 text"]) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise ActorDictionaryError(path, [f"{where}invalid YAML ({getattr(exc, 'problem', exc)})"]) from None
        return cls.from_mapping(raw, path=str(path))

    @classmethod
    def from_mapping(cls, raw: Any, *, path: str = "<dictionary>") -> "ActorDictionary":
        problems: list[str] = []
        if not isinstance(raw, dict) or not isinstance(raw.get("actors"), list):
            raise ActorDictionaryError(path, ["expected a mapping with an 'actors:' list at the top level"])
        actors: dict[str, Actor] = {}
        for index, entry in enumerate(raw["actors"]):
            actor = _parse_actor(entry, index, problems)
            if actor is None:
                continue
            if actor.id in actors:
                problems.append(f"actor id {actor.id!r} is defined twice")
                continue
            actors[actor.id] = actor
        problems.extend(_check_parents(actors))
        problems.extend(_check_alias_claims(actors))
        problems.extend(_check_alias_words(actors))
        if problems:
            raise ActorDictionaryError(path, problems)
        warnings = [f"actor {a.id!r}: type {a.type!r} is not one of the standard types ({', '.join(ACTOR_TYPES)})"
                    for a in actors.values() if a.type not in ACTOR_TYPES]
        return cls(actors=actors, conflict=str(raw.get("conflict", "")), path=path, warnings=warnings)


def _parse_date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: expected a date YYYY-MM-DD, found {value!r}")
        return None


def _parse_alias(value: Any, where: str, problems: list[str]) -> Alias | None:
    lang = None
    if isinstance(value, str):
        text, valid_from, valid_to, common_word = value, None, None, False
    elif isinstance(value, dict) and isinstance(value.get("text"), str):
        unknown = set(value) - {"text", "valid_from", "valid_to", "common_word", "lang"}
        if unknown:
            problems.append(f"{where}: unknown alias field(s) {sorted(unknown)}; "
                            "expected text, valid_from, valid_to, common_word, lang")
        if value.get("lang") is not None:
            try:
                lang = language_code(value["lang"])
            except ValueError as exc:
                problems.append(f"{where}: lang: {exc}")
        text = value["text"]
        valid_from = _parse_date(value.get("valid_from"), where, problems)
        valid_to = _parse_date(value.get("valid_to"), where, problems)
        common_word = value.get("common_word", False)
        if not isinstance(common_word, bool):
            problems.append(f"{where}: common_word must be true or false, found {common_word!r}")
            common_word = False
    else:
        problems.append(f"{where}: expected a string or {{text, valid_from, valid_to}}, found {value!r}")
        return None
    if not text.strip() or text != text.strip():
        problems.append(f"{where}: alias {text!r} is empty or has surrounding spaces")
        return None
    if valid_from and valid_to and valid_from > valid_to:
        problems.append(f"{where}: alias {text!r} has valid_from {valid_from} after valid_to {valid_to}")
        return None
    return Alias(text, valid_from, valid_to, common_word, lang)


_ACTOR_FIELDS = {"id", "name", "type", "aliases", "demonyms", "parent", "description"}


def _parse_actor(entry: Any, index: int, problems: list[str]) -> Actor | None:
    where = f"actors[{index}]"
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping with id, name, type, found {entry!r}")
        return None
    missing = [k for k in ("id", "name", "type") if not isinstance(entry.get(k), str) or not entry[k].strip()]
    if missing:
        problems.append(f"{where}: missing or empty {', '.join(missing)}")
        return None
    where = f"actor {entry['id']!r}"
    unknown = set(entry) - _ACTOR_FIELDS
    if unknown:
        problems.append(f"{where}: unknown field(s) {sorted(unknown)}; expected {sorted(_ACTOR_FIELDS)}")
    aliases_raw = entry.get("aliases") or []
    demonyms_raw = entry.get("demonyms") or []
    if not isinstance(aliases_raw, list) or not isinstance(demonyms_raw, list):
        problems.append(f"{where}: 'aliases' and 'demonyms' must be lists")
        return None
    aliases = [a for i, raw in enumerate(aliases_raw) if (a := _parse_alias(raw, f"{where} alias {i}", problems))]
    demonyms = []
    for raw in demonyms_raw:
        if isinstance(raw, str) and raw.strip():
            demonyms.append(raw.strip())
        else:
            problems.append(f"{where}: demonym {raw!r} must be a non-empty string")
    parent = entry.get("parent")
    return Actor(
        id=entry["id"].strip(), name=entry["name"].strip(), type=entry["type"].strip(),
        aliases=tuple(aliases), demonyms=tuple(demonyms),
        parent=str(parent) if parent is not None else None,
        description=str(entry.get("description", "")),
    )


def _check_parents(actors: dict[str, Actor]) -> list[str]:
    problems = [f"actor {a.id!r}: parent {a.parent!r} does not exist" for a in actors.values()
                if a.parent is not None and a.parent not in actors]
    reported: set[str] = set()
    for actor in actors.values():
        path = [actor.id]
        parent = actor.parent
        while parent is not None and parent in actors:
            if parent in path:
                cycle = path[path.index(parent):] + [parent]
                if not reported.intersection(cycle):
                    problems.append(f"parent cycle: {' -> '.join(cycle)}")
                    reported.update(cycle)
                break
            path.append(parent)
            parent = actors[parent].parent
    return problems


def _check_alias_claims(actors: dict[str, Actor]) -> list[str]:
    """An alias may belong to two actors only in disjoint date windows."""
    claims: dict[str, list[tuple[str, Alias]]] = {}
    for actor in actors.values():
        for alias in actor.surface_forms():
            owners = claims.setdefault(normalise_alias(alias.text), [])
            if any(owner == actor.id for owner, _ in owners):
                continue
            owners.append((actor.id, alias))
    problems = []
    for text, owners in claims.items():
        for i, (id_a, alias_a) in enumerate(owners):
            for id_b, alias_b in owners[i + 1:]:
                (lo_a, hi_a), (lo_b, hi_b) = alias_a.window(), alias_b.window()
                if lo_a <= hi_b and lo_b <= hi_a:
                    problems.append(f"alias {text!r} is claimed by both {id_a!r} and {id_b!r} "
                                    "(give it to one actor, or disjoint valid_from/valid_to windows)")
    return problems


# English function words: as an alias each would match almost every sentence ("the": 113 false
# mentions in the seed article). Compared case-insensitively, except that an all-capital alias
# of two letters or more is an acronym ("US" is not "us").
COMMON_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves may might must shall one two new said says also
""".split())


def _is_common_word(text: str) -> bool:
    if len(text) > 1 and text.isupper():
        return False
    return text.lower() in COMMON_WORDS


def _check_alias_words(actors: dict[str, Actor]) -> list[str]:
    """No alias may be punctuation only; a common word only where the analyst says so."""
    problems = []
    for actor in actors.values():
        allowed = {alias.text for alias in actor.aliases if alias.common_word}
        for text in dict.fromkeys(alias.text for alias in actor.surface_forms()):
            if not any(ch.isalnum() for ch in text):
                problems.append(f"actor {actor.id!r}: alias {text!r} has no letter or digit; remove it")
            elif _is_common_word(text) and text not in allowed:
                problems.append(
                    f"actor {actor.id!r}: alias {text!r} is a common word and would match almost every sentence; "
                    f"remove it, or if you mean it write it as {{text: {text}, common_word: true}}")
    return problems


DETECT = "detect"  # find()'s language when the caller does not know it: detected in the text itself


class ActorMatcher(Protocol):
    """Anything that finds actor mentions in a sentence (``language``: the document's ISO 639-1 code; None: unknown,
    aliases without a language match as written; DETECT: detected in the sentence)."""

    def find(self, text: str, *, date: dt.date | None = None, language: str | None = DETECT) -> list[Mention]: ...


def _variants(alias: str) -> set[str]:
    forms = {alias}
    if alias[0].islower():
        forms.add(alias[0].upper() + alias[1:])
    return forms


Owner = tuple[str, Alias, bool]  # actor id, alias, whether the form is the alias as written


def _owner_order(owner: Owner) -> tuple[bool, int]:
    """The alias as written before an inflected form; then the latest window first (undated documents prefer the
    current holder of a title)."""
    return (not owner[2], -owner[1].window()[1].toordinal())


class DictionaryMatcher:
    """Finds the mentions of a dictionary's actors (Aho-Corasick; rules in the module doc).

    One automaton per document language, built on first use: the aliases' forms in that language
    (inflected where :mod:`stancekit.morphology` has an analyser for it), so matching stays one
    linear pass over the sentence whatever the language.
    """

    def __init__(self, dictionary: ActorDictionary, *, inflector: Callable[[str | None], Inflector | None] | None = None):
        """``inflector``: the analyser of a language, None where aliases match as written (default:
        :func:`stancekit.morphology.inflector`; the bench passes others to compare them)."""
        if inflector is None:
            from stancekit.morphology import inflector
        self.dictionary = dictionary
        self.inflector = inflector
        self._automata: dict[str | None, ahocorasick.Automaton | None] = {}

    def forms(self, language: str | None) -> dict[str, list[Owner]]:
        """Every form matched in a document of ``language`` and the actors (with their alias) it belongs to."""
        table: dict[str, list[Owner]] = {}
        for actor in self.dictionary:
            for alias in actor.surface_forms():
                written = normalise_alias(alias.text)
                analyser = self.inflector(alias.lang or language)
                inflected = analyser.forms(written) if analyser is not None else {written}
                for base in inflected:
                    for form in _variants(base):
                        owners = table.setdefault(form, [])
                        owner = (actor.id, alias, base == written)
                        if owner not in owners:
                            owners.append(owner)
        for owners in table.values():
            owners.sort(key=_owner_order)
        return table

    def _automaton(self, language: str | None) -> ahocorasick.Automaton | None:
        if self.inflector(language) is None:
            language = None  # every language without an analyser shares the table of aliases as written
        if language not in self._automata:
            table = self.forms(language)
            automaton = None
            if table:
                automaton = ahocorasick.Automaton()
                for form, owners in table.items():
                    automaton.add_word(form, (len(form), tuple((actor, alias) for actor, alias, _ in owners)))
                automaton.make_automaton()
            self._automata[language] = automaton
        return self._automata[language]

    def find(self, text: str, *, date: dt.date | None = None, language: str | None = DETECT) -> list[Mention]:
        if language == DETECT:
            from stancekit.languages import detect_language

            language = detect_language(text)
        automaton = self._automaton(language)
        if automaton is None:
            return []
        normalised = normalise(text)
        norm = normalised.text
        candidates: list[tuple[int, int, str]] = []
        for last, (length, owners) in automaton.iter(norm):
            start, end = last + 1 - length, last + 1
            if (start > 0 and norm[start - 1].isalnum()) or (end < len(norm) and norm[end].isalnum()):
                continue
            actor_id = next((owner for owner, alias in owners if alias.valid_on(date)), None)
            if actor_id is not None:
                candidates.append((start, end, actor_id))
        candidates.sort(key=lambda c: (c[0] - c[1], c[0]))  # longest first, then leftmost
        # a character map of what is taken: each test costs the alias length, not the mentions so far
        occupied = bytearray(len(norm))
        taken: list[tuple[int, int, str]] = []
        for start, end, actor_id in candidates:
            if not any(occupied[start:end]):
                occupied[start:end] = b"\x01" * (end - start)
                taken.append((start, end, actor_id))
        taken.sort()
        mentions = []
        for start, end, actor_id in taken:
            s, e = normalised.original_span(start, end)
            mentions.append(Mention(actor=actor_id, start=s, end=e, text=text[s:e]))
        return mentions
