"""``build_report``: tagged records in; corrected shares, tables, charts, the HTML page and provenance out."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.errors import ConfigError, InputError
from stancekit.io import atomic_dir, atomic_write, file_sha256, write_csv
from stancekit.labels import STANCE_LABELS
from stancekit.provenance import Provenance, read_for
from stancekit.reporting.cells import DIMENSIONS, UNKNOWN, Cells, Mentions, build_cells, gather
from stancekit.reporting.config import ReportConfig
from stancekit.reporting.tables import TABLES, actor_rows, breakdown_rows, columns, estimate_rows, top_rows

if TYPE_CHECKING:
    from stancekit.actors import ActorDictionary
    from stancekit.reporting.calibration import Calibration
    from stancekit.reporting.em import EMEstimator
    from stancekit.reporting.estimate import Estimator

FIGURES = ("stance_by_actor", "stance_by_outlet", "stance_over_time")
REPORT_FILES = (*(f"{t}.csv" for t in TABLES), *(f"{f}.{ext}" for f in FIGURES for ext in ("png", "svg")),
                "report.html", "provenance.json")
METHOD_NAMES = {"emq": "expectation maximisation on recalibrated probabilities (EMQ)",
                "pacc": "probabilistic adjusted classify and count (PACC)",
                "acc": "adjusted classify and count (ACC)", "cc": "classify and count (uncorrected)"}


@dataclass
class TagSource:
    """One tags file and the provenance written beside it (None for tags from before provenance)."""

    path: Path
    provenance: Provenance | None

    def describe(self) -> dict[str, Any]:
        return {"path": str(self.path.resolve()), "sha256": file_sha256(self.path),
                "provenance": self.provenance.to_dict() if self.provenance else None}


@dataclass
class ReportResult:
    files: list[Path]
    sentences: int
    mentions: int
    skipped: int
    method: str
    calibration: dict[str, Any] | None
    tables: dict[str, list[dict[str, Any]]]  # the rows written to the CSV files, by table name
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # read, calibration, estimate, write


def _warn(message: str, warnings: list[str]) -> None:
    print(f"warning: {message}", file=sys.stderr)
    warnings.append(message)


def read_sources(config: ReportConfig) -> list[TagSource]:
    """Each tags file (checked by the config) with its provenance; the same file twice is refused (it would
    count twice)."""
    seen: dict[Path, Path] = {}
    sources = []
    for path in config.tags:
        resolved = path.resolve()
        if resolved in seen:
            raise ConfigError(f"{path} is given twice (also as {seen[resolved]}); its mentions would count twice")
        seen[resolved] = path
        sources.append(TagSource(path, read_for(path)))
    return sources


def check_mixing(sources: list[TagSource], *, allow_mixed: bool, warnings: list[str]) -> None:
    """Tags made with different models or dictionaries are refused unless ``allow_mixed`` (then named)."""
    for what, key in (("models", lambda p: p.model.get("fingerprint") or p.model.get("name")),
                      ("actor dictionaries", lambda p: p.actors.get("sha256"))):
        found: dict[str, list[str]] = {}
        for source in sources:
            if source.provenance is not None:
                found.setdefault(str(key(source.provenance)), []).append(str(source.path))
        if len(found) > 1:
            listing = "; ".join(f"{k[:12]}: {', '.join(v)}" for k, v in found.items())
            if not allow_mixed:
                raise ConfigError(f"the tags were made with {len(found)} different {what} ({listing}); their "
                                  "numbers are not comparable: tag everything with one, or pass --allow-mixed")
            _warn(f"tags made with {len(found)} different {what}, mixed on purpose: {listing}", warnings)
    unknown = [str(s.path) for s in sources if s.provenance is None]
    if unknown:
        _warn(f"no provenance for {', '.join(unknown)} (tagged by an older stancekit, or its .provenance.json was "
              "not copied with it): the report cannot say which model and dictionary made them", warnings)


def resolve_dictionary(config: ReportConfig, sources: list[TagSource], warnings: list[str]
                       ) -> ActorDictionary | None:
    """The dictionary given, else the one the tags were made with (when it is still there, unchanged)."""
    from stancekit.actors import ActorDictionary

    recorded = [s.provenance.actors for s in sources if s.provenance is not None]
    if config.actors is not None:
        digest = file_sha256(config.actors)
        differing = [r for r in recorded if r.get("sha256") != digest]
        if differing and not config.allow_mixed:
            raise ConfigError(f"--actors {config.actors} is not the dictionary the tags were made with "
                              f"({differing[0].get('path')}, SHA-256 {str(differing[0].get('sha256'))[:12]}...); "
                              "give that one, or pass --allow-mixed to roll up with this one on purpose")
        return ActorDictionary.load(config.actors)
    for record in recorded:
        path = Path(str(record.get("path", "")))
        if path.is_file() and file_sha256(path) == record.get("sha256"):
            return ActorDictionary.load(path)
    if recorded:
        _warn(f"the tags' actor dictionary ({recorded[0].get('path')}) is gone or changed since: actors are shown "
              "by id and not rolled up to their parents; pass --actors with the dictionary", warnings)
    return None


def resolve_model(config: ReportConfig, sources: list[TagSource]) -> Path | None:
    """The folder of the model that made the tags: --model (checked against the provenance), else the provenance's."""
    from stancekit.models.manifest import Manifest

    recorded = [s.provenance.model for s in sources if s.provenance is not None]
    if config.model is not None:
        manifest = Manifest.read(config.model)
        fingerprints = {r.get("fingerprint") for r in recorded} - {None}
        if fingerprints and manifest.fingerprint not in fingerprints and not config.allow_mixed:
            raise ConfigError(f"--model {config.model} (fingerprint {manifest.fingerprint[:12]}...) did not make these "
                              f"tags (made by {', '.join(f[:12] + '...' for f in fingerprints)}); give the model that "
                              "made them: its error rates are the ones to correct for")
        return config.model
    for record in recorded:
        path = Path(str(record.get("path") or ""))
        if path.is_dir():
            manifest = Manifest.read(path)
            if manifest.fingerprint == record.get("fingerprint"):
                return path
    return None


def resolve_calibration(config: ReportConfig, sources: list[TagSource], model_dir: Path | None,
                        warnings: list[str]) -> tuple[Calibration | None, str]:
    """The calibration and the method to use; falls back to classify and count (with a warning) without one."""
    from stancekit.reporting.calibration import file_calibration, heldout_calibration

    if config.method == "cc":
        return None, "cc"
    models = {s.provenance.model.get("fingerprint") for s in sources if s.provenance is not None}
    if len(models) > 1:
        _warn(f"shares are NOT corrected: the tags come from {len(models)} models and one correction per model is "
              "not supported; they are classify-and-count, not comparable across models: tag with one model",
              warnings)
        return None, "cc"
    if config.calibration:
        if model_dir is None:
            raise ConfigError("--calibration needs the model that made the tags, to score the labelled mentions "
                              "with it: the tags' provenance names none that still exists; pass --model DIR")
        return file_calibration(config.calibration, model_dir=model_dir, data_format=config.calibration_format), \
            config.method
    if model_dir is None:
        _warn("shares are NOT corrected for the classifier's errors: the model that made the tags is unknown or "
              "moved; pass --model DIR (and, best, --calibration with labelled mentions of this coverage)", warnings)
        return None, "cc"
    calibration = heldout_calibration(model_dir)
    if isinstance(calibration, str):
        _warn(f"shares are NOT corrected for the classifier's errors: {model_dir} {calibration}; retrain it on more "
              "data, or pass --calibration with labelled mentions", warnings)
        return None, "cc"
    return calibration, config.method


def _records(sources: list[TagSource], *, config: ReportConfig, dictionary: ActorDictionary | None,
             skipped: list[InputError]) -> Iterator[dict[str, Any]]:
    """Every checked record of every tags file; a document in two files is an error (it would count twice)."""
    from stancekit.tagging.formats import iter_tagged

    def bad(err: InputError) -> None:
        skipped.append(err)
        print(f"skipped: {err}", file=sys.stderr)

    owner: dict[str, int] = {}
    for index, source in enumerate(sources):
        for record in iter_tagged(source.path, on_bad=bad if config.skip_bad else None,
                                  actors=dictionary.actors if dictionary is not None else None):
            first = owner.setdefault(record["doc_id"], index)
            if first != index:
                raise InputError(source.path, f"document {record['doc_id']!r} is also in {sources[first].path}",
                                 hint="its mentions would count twice; report on tags of disjoint coverage")
            yield record


def estimate_tables(mentions: Mentions, cells: dict[str, Cells], *, config: ReportConfig,
                    dictionary: ActorDictionary | None, calibration: Calibration | None,
                    method: str) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows: corrected shares and intervals where a cell has enough mentions."""
    import numpy as np

    net = (STANCE_LABELS.index("favor"), STANCE_LABELS.index("against"))
    rng = np.random.default_rng(config.seed)
    _, _, _, probabilities = mentions.arrays()
    out: dict[str, list[dict[str, Any]]] = {}
    rank: dict[str, int] = {}
    estimator = _estimator(config, calibration, method, net, rng)
    for dimension in ("actor", *DIMENSIONS):
        table = cells[dimension]
        shown = [c for c in range(len(table.targets)) if table.mentions[c] >= config.min_mentions]
        estimates = estimator.estimate_cells(table, shown, probabilities)
        rows = estimate_rows(table, estimates, shown, min_mentions=config.min_mentions)
        if dimension == "actor":
            out["stance_by_actor"] = actor_rows(table, rows, dictionary)
            rank = {r["actor"]: i for i, r in enumerate(out["stance_by_actor"])}
        else:
            out[f"stance_by_actor_{dimension}"] = breakdown_rows(table, rows, rank)
    out["top_sentences"] = top_rows(mentions, [r["actor"] for r in out["stance_by_actor"]])
    return out


def _estimator(config: ReportConfig, calibration: Calibration | None, method: str, net: tuple[int, int],
               rng: Any) -> Estimator | EMEstimator:
    """The estimator of ``method`` with its calibration fitted (error rates, or the recalibration)."""
    import numpy as np

    if method == "emq" and calibration is not None:
        from stancekit.reporting.em import EMEstimator, calibrate

        calibrated = calibrate(calibration.items.probabilities, calibration.gold_index(),
                               np.array(calibration.items.doc_ids), training_prior=np.array(calibration.prior),
                               replicates=config.replicates, rng=rng)
        return EMEstimator(calibrated=calibrated, confidence=config.confidence, net_labels=net, seed=config.seed + 1)
    from stancekit.reporting.estimate import Estimator, calibration_rates

    rates = None
    if calibration is not None and method != "cc":
        rates = calibration_rates(calibration.gold_index(), calibration.answers(method),
                                  np.array(calibration.items.doc_ids), hard=method == "acc",
                                  replicates=config.replicates, rng=rng)
    return Estimator(method=method, rates=rates, replicates=config.replicates, confidence=config.confidence,
                     net_labels=net, seed=config.seed + 1)


def build_report(config: ReportConfig) -> ReportResult:
    """Read tagged records, estimate, and write the CSV tables, the charts, ``report.html`` and ``provenance.json``.

    The folder is written as a whole: built beside the output and swapped in only when complete, so a
    failure (full disk) leaves the previous report as it was. An existing folder holding other files is
    refused rather than replaced.
    """
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(phase: str) -> None:
        nonlocal clock
        seconds[phase] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    warnings: list[str] = []
    sources = read_sources(config)
    check_mixing(sources, allow_mixed=config.allow_mixed, warnings=warnings)
    dictionary = resolve_dictionary(config, sources, warnings)
    model_dir = resolve_model(config, sources)
    skipped: list[InputError] = []
    mentions = gather(_records(sources, config=config, dictionary=dictionary, skipped=skipped),
                      dictionary=dictionary, top_k=config.top_k)
    if not mentions.count:
        names = ", ".join(str(p) for p in config.tags)
        raise ConfigError(f"{names} has no tagged mention ({mentions.sentences} sentence(s)); expected the output of "
                          "`stancekit tag` on coverage where the dictionary finds actors")
    lap("read")
    calibration, method = resolve_calibration(config, sources, model_dir, warnings)
    lap("calibration")
    cells = build_cells(mentions, dictionary)
    tables = estimate_tables(mentions, cells, config=config, dictionary=dictionary, calibration=calibration,
                             method=method)
    lap("estimate")
    provenance = report_provenance(config, sources, dictionary, calibration, method, mentions, skipped, warnings)
    with atomic_dir(config.output_dir, owned=REPORT_FILES.__contains__) as out:
        write_outputs(out, config, tables=tables, provenance=provenance, mentions=mentions, sources=sources,
                      method=method, calibration=calibration, warnings=warnings)
        written = sorted(p.name for p in out.iterdir())
    lap("write")
    return ReportResult(files=[config.output_dir / name for name in written], sentences=mentions.sentences,
                        mentions=mentions.count, skipped=len(skipped), method=method,
                        calibration=calibration.to_dict() if calibration else None, tables=tables,
                        warnings=warnings, seconds=seconds)


def write_outputs(out: Path, config: ReportConfig, *, tables: dict[str, list[dict[str, Any]]],
                  provenance: dict[str, Any], mentions: Mentions, sources: list[TagSource], method: str,
                  calibration: Calibration | None, warnings: list[str]) -> None:
    """The CSV tables, the charts (PNG and SVG), ``provenance.json`` and ``report.html`` into ``out``."""
    from stancekit.reporting.charts import chart_by_actor, chart_by_outlet, chart_over_time
    from stancekit.reporting.page import DOCUMENT_ROWS, flagged, html_table, render, sentence_groups

    for name, rows in tables.items():
        write_csv(rows, out / f"{name}.csv", columns(name))
    actors = tables["stance_by_actor"]
    charts = {"stance_by_actor": chart_by_actor(actors, out, confidence=config.confidence),
              "stance_by_outlet": chart_by_outlet(actors, tables["stance_by_actor_outlet"], out),
              "stance_over_time": chart_over_time(actors, tables["stance_by_actor_day"], out,
                                                  confidence=config.confidence)}
    with atomic_write(out / "provenance.json") as handle:
        json.dump(provenance, handle, indent=1, ensure_ascii=False)
    names = {r["actor"]: r["name"] for r in actors}
    documents = tables["stance_by_actor_document"]
    page = render(
        title=config.title, summary=_summary(mentions, sources, tables), warnings=warnings,
        headline_method=_headline(method, calibration, config),
        level=f"{config.confidence:.0%}", charts=charts,
        actor_table=html_table("actors-table", actors, None, ""), flagged=flagged(actors),
        outlet_table=html_table("outlet-table", _named(tables["stance_by_actor_outlet"], names), "outlet", "Outlet"),
        day_table=html_table("day-table", _named(tables["stance_by_actor_day"], names), "day", "Day"),
        language_table=_language_table(tables["stance_by_actor_language"], names),
        document_table=html_table("document-table", _named(documents[:DOCUMENT_ROWS], names), "document",
                                  "Document"),
        document_truncated=len(documents) > DOCUMENT_ROWS, document_rows=DOCUMENT_ROWS,
        outlet_note=_outlet_note(tables["stance_by_actor_outlet"]), time_note=_time_note(tables["stance_by_actor_day"]),
        sentences=sentence_groups(tables["top_sentences"], names), csv_files=[f"{t}.csv" for t in TABLES],
        figure_files=[f"{c.name}.{ext}" for c in charts.values() if c for ext in ("png", "svg")],
        methods=methods_text(config, method, calibration, provenance), provenance_lines=_provenance_lines(provenance),
        provenance_json=json.dumps(provenance, indent=1, ensure_ascii=False))
    with atomic_write(out / "report.html") as handle:
        handle.write(page)


def _language_table(rows: list[dict[str, Any]], names: dict[str, str]) -> str:
    """The actor x language table where coverage mixes languages (else empty: the page leaves the section out)."""
    from stancekit.reporting.page import html_table

    if len({r["language"] for r in rows}) < 2:
        return ""
    return html_table("language-table", _named(rows, names), "language", "Language")


def _named(rows: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{**r, "name": names.get(r["actor"], r["actor"])} for r in rows]


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _summary(mentions: Mentions, sources: list[TagSource], tables: dict[str, list[dict[str, Any]]]) -> str:
    days = sorted({m["day"] for m in mentions.doc_meta} - {UNKNOWN})
    outlets = {m["outlet"] for m in mentions.doc_meta} - {UNKNOWN}
    span = f"{days[0]} to {days[-1]}" if len(days) > 1 else (days[0] if days else "undated")
    return (f"{_count(len(mentions.documents), 'document')}, {_count(mentions.sentences, 'sentence')}, "
            f"{_count(mentions.count, 'actor mention')} of {_count(len(tables['stance_by_actor']), 'actor')}; "
            f"{_count(len(outlets), 'outlet') if outlets else 'no outlet named'}; {span}; from "
            f"{', '.join(s.path.name for s in sources)}")


def _headline(method: str, calibration: Calibration | None, config: ReportConfig) -> str:
    if method == "cc" or calibration is None:
        return ("Shares are the classifier's labels counted (classify and count): NOT corrected for its errors; "
                "see the warnings and the methods section.")
    return (f"Shares corrected for the classifier's errors ({METHOD_NAMES[method]}), measured on "
            f"{calibration.description}; the model's macro-F1 there: {calibration.f1_macro:.2f}. Intervals: "
            f"{config.confidence:.0%}, articles and calibration resampled.")


def _outlet_note(rows: list[dict[str, Any]]) -> str:
    outlets = {r["outlet"] for r in rows} - {UNKNOWN}
    if not outlets:
        return "The coverage names no outlet (give documents an 'outlet' field to compare outlets)."
    return f"All coverage is from one outlet ({next(iter(outlets))}): there is nothing to compare across outlets."


def _time_note(rows: list[dict[str, Any]]) -> str:
    days = {r["day"] for r in rows} - {UNKNOWN}
    if not days:
        return "The coverage is undated (give documents a 'date' field, YYYY-MM-DD, to see stance over time)."
    return (f"{len(days)} dated day(s), but no actor has enough mentions on two or more days to draw a line; "
            "the table below has every day.")


def methods_text(config: ReportConfig, method: str, calibration: Calibration | None,
                 provenance: dict[str, Any]) -> list[str]:
    """The methods section in plain words, with this report's figures."""
    model = next((t["provenance"]["model"] for t in provenance["tags"] if t["provenance"]), {})
    paragraphs = [
        "What a share means. For each actor, the share of its mentions in this coverage that are for it (favor), "
        "against it, or neutral toward it, as a trained annotator would label them. A mention of a sub-actor (the "
        "Kremlin, Putin) also counts for the actors above it in the dictionary (Russia). Net = favor share minus "
        "against share, from -100 (all against) to +100 (all favor).",
    ]
    f1 = model.get("heldout_f1_macro")
    classifier = (f"A classifier ({model.get('name', 'unknown model')}"
                  + (f", macro-F1 {f1:.2f} on its held-out data" if isinstance(f1, (int, float)) else "") + ")")
    if method == "cc" or calibration is None:
        paragraphs.append(
            f"How the shares are made. {classifier} labelled every mention, and the labels are counted (classify "
            "and count). This is NOT corrected: counting a classifier's labels is biased whenever an actor's true mix "
            "differs from the data it learnt from, because its errors pull every share toward its own confusion "
            "pattern (too few 'against' where against dominates). The warnings at the top say why no correction "
            "was possible.")
    elif method == "emq":
        paragraphs.append(
            f"How the shares are corrected. {classifier} gave every mention a probability of each stance. Counting "
            "its labels (shown as 'uncorrected') is biased whenever an actor's true mix differs from the data the "
            "classifier learnt from: its errors pull every share toward its own confusion pattern. Its probabilities "
            "also carry the mix of its training data, so for each actor they are re-weighted to the actor's own mix "
            "by expectation maximisation until the two agree (EMQ, the SLD algorithm, from the QuaPy library), after "
            f"recalibrating them with a temperature fitted on {calibration.description}. EMQ was chosen as the "
            "default because it had the lowest error on held-out news sentences (bench/report_accuracy.py). This "
            "assumes the classifier's recalibrated probabilities are as reliable on this coverage as on the "
            "calibration mentions: calibrating on labelled mentions from this coverage (`stancekit report "
            "--calibration`, the gold set the Label Studio loop builds) makes that hold.")
    else:
        paragraphs.append(
            f"How the shares are corrected. {classifier} labelled every mention. Counting its labels (shown as "
            "'uncorrected') is biased whenever an actor's true mix differs from the data the classifier learnt from: "
            "its errors pull every share toward its own confusion pattern. So the classifier's error rates (how often "
            "a mention that is truly for an actor is labelled against, neutral, and so on) are measured on "
            f"{calibration.description}, and each actor's observed mix is solved back for the true mix that would "
            f"produce it, within the possible shares ({METHOD_NAMES[method]}, the estimator of the QuaPy library). "
            "This assumes the classifier makes the same errors on this coverage as on the calibration mentions.")
    corrected = calibration is not None and method != "cc"
    if method == "emq" and corrected:
        paragraphs.append(
            f"What the interval covers. Each bracket is a {config.confidence:.0%} interval from {config.replicates} "
            "draws of the estimate's large-sample distribution: its sampling spread with the articles of each actor "
            "as the units (the mentions of one article are not independent votes; the cluster-robust 'sandwich' "
            "covariance; small actors get an exact bootstrap), plus the spread of the recalibration when the "
            "calibration mentions are resampled. An actor with mentions in fewer than 5 articles treats its mentions as independent: such "
            "rows say so. The interval does not cover mentions the dictionary missed or found wrongly, nor a "
            "classifier whose probabilities are less reliable on this coverage than on the calibration mentions.")
    else:
        paragraphs.append(
            f"What the interval covers. Each bracket is a {config.confidence:.0%} interval from a bootstrap with "
            f"{config.replicates} replicates: the articles of each actor are resampled (the mentions of one article "
            "move together, since they are not independent votes)"
            + (", and the labelled calibration mentions are resampled too, so the interval includes the uncertainty "
               "of the error rates themselves" if corrected else "")
            + ". An actor with mentions in fewer than 5 articles is resampled by mention instead, which assumes its "
            "mentions independent: such rows say so. The interval does not cover mentions the dictionary missed or "
            "found wrongly, nor a classifier whose errors on this coverage differ from the calibration's.")
    paragraphs.append(f"Too small to say. A row with fewer than {config.min_mentions} mentions shows its count and no "
                      "share: any share would be mostly noise.")
    if calibration is not None and method != "cc":
        counts = ", ".join(f"{n} {label}" for label, n in calibration.label_counts.items())
        paragraphs.append(f"Calibration used: {calibration.description}; {counts}; the model's macro-F1 on them "
                          f"{calibration.f1_macro:.3f}.")
    return paragraphs


def report_provenance(config: ReportConfig, sources: list[TagSource], dictionary: ActorDictionary | None,
                      calibration: Calibration | None, method: str, mentions: Mentions, skipped: list[InputError],
                      warnings: list[str]) -> dict[str, Any]:
    """Where every number of the report comes from (``provenance.json`` and the page's footer)."""
    from stancekit import __version__

    return {
        "stancekit_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "tags": [s.describe() for s in sources],
        "actors": {"path": str(Path(dictionary.path).resolve()), "sha256": file_sha256(dictionary.path)}
        if dictionary is not None and dictionary.path else None,
        "estimation": {"method": method, "method_asked": config.method, "confidence": config.confidence,
                       "replicates": config.replicates, "seed": config.seed, "min_mentions": config.min_mentions,
                       "calibration": calibration.to_dict() if calibration is not None else None},
        "counts": {"documents": len(mentions.documents), "sentences": mentions.sentences, "mentions": mentions.count,
                   "skipped_records": len(skipped)},
        "skipped": [str(err) for err in skipped[:100]],
        "warnings": warnings,
    }


def _provenance_lines(provenance: dict[str, Any]) -> list[str]:
    lines = [f"stancekit {provenance['stancekit_version']}, report made {provenance['created']}."]
    for tags in provenance["tags"]:
        p = tags["provenance"]
        if p is None:
            lines.append(f"{tags['path']} (SHA-256 {tags['sha256'][:12]}...): no provenance.")
            continue
        model = p["model"]
        lines.append(f"{tags['path']}: tagged {p.get('started', '')} to {p.get('finished', '')} by model "
                     f"{model.get('name')} ({model.get('path')}, fingerprint {str(model.get('fingerprint'))[:12]}...), "
                     f"{p.get('runtime', {}).get('precision', '?')}; dictionary {p['actors'].get('path')} "
                     f"(SHA-256 {str(p['actors'].get('sha256'))[:12]}...); {len(p['inputs'].get('files', []))} input "
                     f"file(s), digest {str(p['inputs'].get('sha256'))[:12]}...")
    estimation = provenance["estimation"]
    lines.append(f"Estimation: {estimation['method']}, {estimation['replicates']} bootstrap replicates, seed "
                 f"{estimation['seed']}, cells under {estimation['min_mentions']} mentions not shown; "
                 f"{provenance['counts']['skipped_records']} bad record(s) skipped.")
    return lines
