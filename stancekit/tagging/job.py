"""The tagging job behind ``stancekit tag``: coverage in, stance-tagged sentence records out.

Documents are streamed and processed in chunks of ``chunk_documents``. Each finished chunk
is written atomically to a work folder beside the output (``.<output name>.parts/``); once
all chunks are done they are joined into the output (atomically) and the work folder is
removed. Re-running an interrupted job with the same options resumes after the last
finished chunk: earlier documents are read but not tagged again, and since chunk
boundaries and model batches are fixed by the input and the options, the output is
byte-identical to that of an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal, get_args

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.errors import ConfigError, InputError, OutputError
from stancekit.extras import require_extra
from stancekit.io import atomic_write, file_sha256, lock_path, output_errors, output_lock
from stancekit.models.options import InferenceOptions
from stancekit.models.runtime import describe, output_runtime, set_threads
from stancekit.options import (ACTORS, INPUTS, MODEL, OUTPUT_FILE, SENTIMENT_MODEL, SKIP_BAD, THREADS, Range,
                               check_fields, nested, option)
from stancekit.pipeline import iter_sentences
from stancekit.provenance import Provenance, inputs_record, model_record, now, provenance_path
from stancekit.readers import iter_documents, iter_input_files
from stancekit.records import Document
from stancekit.tagging.batch import Engine, LocalEngine, Models, load_models, tag_sentences
from stancekit.tagging.formats import FORMATS, join_chunk_files, output_format, write_chunk_file

EngineName = Literal["local", "ray"]
ENGINES: tuple[str, ...] = get_args(EngineName)
JOB_FILE = "job.json"


@dataclass
class TagConfig:
    """What to read, which actors to find, which models to run and where to write."""

    inputs: list[Path] = INPUTS()
    model: Path = MODEL()
    actors: Path = ACTORS()
    output: Path = OUTPUT_FILE()
    sentiment_model: Path | None = SENTIMENT_MODEL(None)
    skip_bad: bool = SKIP_BAD(False)
    inference: InferenceOptions = nested(InferenceOptions)
    chunk_documents: int = option(200, help="Documents per output chunk (the unit of resuming).", range=Range(min=1))
    threads: int | None = THREADS(None)
    engine: EngineName = option("local", help="local, or ray (Ray Data; needs the ray extra, from the "
                                "stancekit checkout: pip install '.[ray]', or a wheel built there: "
                                "pip install 'dist/stancekit-VERSION-py3-none-any.whl[ray]').")
    ray_actors: int = option(2, help="Model-holding Ray actors (one per GPU on a GPU cluster).", range=Range(min=1))
    ray_address: str | None = option(None, help="Ray cluster address (default: start a local one).")
    progress: bool = option(True, help="Show a progress bar on stderr.", flags=("--progress/--no-progress",))

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ConfigError("no input given: expected one or more files or folders of coverage")
        if self.engine not in ENGINES:
            raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, found {self.engine!r}")
        check_fields(self)
        if self.output.suffix.lower() not in FORMATS:
            raise ConfigError(f"output {self.output} must end in one of {', '.join(FORMATS)} (it picks the format)")
        if self.output.resolve() in {p.resolve() for p in self.inputs}:
            raise ConfigError(f"output {self.output} is also an input; choose another output path")

    @property
    def work_dir(self) -> Path:
        return self.output.with_name(f".{self.output.name}.parts")

    @property
    def own_files(self) -> list[Path]:
        """Everything this job writes; never read back as input."""
        return [self.output, self.work_dir, lock_path(self.output), provenance_path(self.output)]


@dataclass
class TagSummary:
    documents: int = 0
    resumed_documents: int = 0
    sentences: int = 0
    mentions: int = 0
    seconds: float = 0.0
    skipped: list[InputError] = field(default_factory=list)

    @property
    def mentions_per_second(self) -> float:
        return self.mentions / self.seconds if self.seconds else 0.0


def job_fingerprint(config: TagConfig, models: Models) -> dict[str, Any]:
    """Everything that decides the output bytes; a resumed job must match it exactly.

    ``skip_bad`` is not part of it: chunks finished before a run stopped at a bad document
    are the same with ``--skip-bad``, so a failed run can be resumed with it.
    """
    files = [{"path": str(p.resolve()), "size": p.stat().st_size, "mtime_ns": p.stat().st_mtime_ns}
             for p in iter_input_files(config.inputs, exclude=config.own_files)]
    return {
        "inputs": files,
        "actors": file_sha256(config.actors),
        "model": getattr(models.stance, "name", str(config.model)),
        "sentiment_model": getattr(models.sentiment, "name", None),
        "runtime": {name: output_runtime(getattr(model, "runtime", {}))
                    for name, model in (("stance", models.stance), ("sentiment", models.sentiment)) if model},
        "batch_size": config.inference.batch_size,
        "chunk_documents": config.chunk_documents,
        "format": config.output.suffix.lower(),
    }


def job_provenance(config: TagConfig, models: Models, summary: TagSummary, *, started: str) -> Provenance:
    """The provenance of a finished job (model, how it ran, dictionary, inputs, counts, times)."""
    from stancekit import __version__

    files = list(iter_input_files(config.inputs, exclude=config.own_files))
    return Provenance(
        stancekit_version=__version__, started=started, finished=now(),
        model=model_record(models.stance), runtime=dict(getattr(models.stance, "runtime", {})),
        sentiment_model=model_record(models.sentiment) if models.sentiment is not None else None,
        actors={"path": str(config.actors.resolve()), "sha256": file_sha256(config.actors)},
        inputs=inputs_record(files),
        output={"path": str(config.output.resolve()), "format": config.output.suffix.lower().lstrip("."),
                "documents": summary.documents, "sentences": summary.sentences, "mentions": summary.mentions,
                "skipped_documents": len(summary.skipped)})


def _prepare_work_dir(config: TagConfig, fingerprint: dict[str, Any]) -> int:
    """Create or reopen the work folder; return how many chunks are already finished.

    Called holding the output lock: temporary files in the work folder are a killed run's
    and are removed.
    """
    work = config.work_dir
    job_file = work / JOB_FILE
    for stale in work.glob(".*.tmp"):
        stale.unlink()
    if job_file.is_file():
        previous = json.loads(job_file.read_text(encoding="utf-8"))
        if previous != fingerprint:
            changed = sorted(k for k in fingerprint if previous.get(k) != fingerprint[k])
            raise ConfigError(f"{work} holds an unfinished job with different {', '.join(changed)}; "
                              f"re-run with the same inputs and options to resume, or delete {work} to start over")
        finished = 0
        while _chunk_path(config, finished).is_file():
            finished += 1
        return finished
    with output_errors(work):
        work.mkdir(parents=True, exist_ok=True)
    with atomic_write(job_file) as handle:
        json.dump(fingerprint, handle, indent=1)
    return 0


def _chunk_path(config: TagConfig, index: int) -> Path:
    return config.work_dir / f"chunk-{index:08d}{config.output.suffix.lower()}"


def _chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ProgressBar:
    """Documents and mentions done, with their rates, on stderr (a tqdm bar on a terminal; silent when disabled)."""

    def __init__(self, enabled: bool):
        self.start = time.perf_counter()
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(desc="tagging", bar_format="{desc} [{elapsed}]", disable=None)

    def update(self, summary: TagSummary) -> None:
        if self._bar is None:
            return
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        done = summary.documents - summary.resumed_documents
        resumed = f" ({summary.resumed_documents} resumed)" if summary.resumed_documents else ""
        self._bar.set_description_str(
            f"{summary.documents} docs{resumed}, {summary.mentions} mentions | "
            f"{done / elapsed:.1f} docs/s, {summary.mentions / elapsed:.1f} mentions/s")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _chosen(options: InferenceOptions, runtime: dict[str, Any]) -> InferenceOptions:
    """``options`` with ``auto`` backend and precision replaced by what ``runtime`` says was chosen."""
    if options.precision == "auto" and runtime.get("precision") in ("fp32", "int8"):
        options = dataclasses.replace(options, precision=runtime["precision"])
    if options.backend == "auto" and runtime.get("backend") in ("onnxruntime", "torch"):
        options = dataclasses.replace(options, backend=runtime["backend"])
    return options


def _resumed_options(config: TagConfig) -> InferenceOptions:
    """The inference options of this run: a resumed job keeps the backend and precision that ``auto`` chose
    when it started (the probe might choose otherwise today, which would change the output bytes)."""
    try:
        previous = json.loads((config.work_dir / JOB_FILE).read_text(encoding="utf-8"))["runtime"]["stance"]
    except (OSError, ValueError, KeyError, TypeError):
        return config.inference
    return _chosen(config.inference, previous) if isinstance(previous, dict) else config.inference


def make_engine(config: TagConfig, models: Models) -> Engine:
    if config.engine == "ray":
        from stancekit.tagging.ray_engine import RayEngine

        # the actors run what this process chose (their own probe might choose otherwise)
        options = _chosen(config.inference, getattr(models.stance, "runtime", {}))
        return RayEngine(config.model, config.sentiment_model, options, actors=config.ray_actors,
                         address=config.ray_address)
    return LocalEngine(models)


def tag(config: TagConfig, *, on_bad: Callable[[InputError], None] | None = None) -> TagSummary:
    """Run the job (resuming an interrupted one); return what was done.

    A second run writing the same output fails at once (OutputError) while this one holds
    the output's lock.
    """
    if config.engine == "ray":
        require_extra("ray")  # before the lock, the work folder and the models
    with output_lock(config.output):
        try:
            return _tag(config, on_bad=on_bad)
        except OutputError as err:
            resume = "then re-run the same command: it resumes after the last finished chunk"
            raise OutputError(err.path, err.reason, hint=f"{err.hint}; {resume}" if err.hint else resume) from None


def _tag(config: TagConfig, *, on_bad: Callable[[InputError], None] | None) -> TagSummary:
    set_threads(config.threads)
    summary = TagSummary()
    if on_bad is None:
        on_bad = lambda err: print(f"skipped: {err}", file=sys.stderr)  # noqa: E731

    def bad(err: InputError) -> None:
        summary.skipped.append(err)
        on_bad(err)

    dictionary = ActorDictionary.load(config.actors)
    matcher = DictionaryMatcher(dictionary)
    models = load_models(config.model, config.sentiment_model, _resumed_options(config))
    for model in (models.stance, models.sentiment):
        if model is not None:
            print(f"model {describe(model)}", file=sys.stderr)
    fmt = output_format(config.output, models.stance.labels,
                        models.sentiment.labels if models.sentiment is not None else ())
    finished = _prepare_work_dir(config, job_fingerprint(config, models))
    engine = make_engine(config, models)
    progress = ProgressBar(config.progress)
    started_at = now()
    start = time.perf_counter()
    chunks = 0
    try:
        documents = iter_documents(config.inputs, skip_bad=config.skip_bad, on_bad=bad, exclude=config.own_files)
        for index, chunk in enumerate(_chunks(documents, config.chunk_documents)):
            chunks = index + 1
            summary.documents += len(chunk)
            if index < finished:
                summary.resumed_documents += len(chunk)
                progress.update(summary)
                continue
            sentences = list(iter_sentences(chunk, matcher=matcher))
            records = tag_sentences(sentences, engine=engine, batch_size=config.inference.batch_size,
                                    sentiment=models.sentiment is not None)
            write_chunk_file(fmt, records, _chunk_path(config, index))
            summary.sentences += len(sentences)
            summary.mentions += sum(len(s.mentions) for s in sentences)
            summary.seconds = time.perf_counter() - start
            progress.update(summary)
    finally:
        progress.close()
    seen, redone = getattr(models.stance, "seen", 0), getattr(models.stance, "rechecked", 0)
    if seen and config.engine == "local":
        print(f"int8 was unsure of {redone} of {seen} sentence(s) ({redone / seen:.1%}): redone in fp32",
              file=sys.stderr)
    provenance = job_provenance(config, models, summary, started=started_at)
    join_chunk_files(fmt, [_chunk_path(config, i) for i in range(chunks)], config.output, temp_dir=config.work_dir,
                     provenance=provenance.to_json(timeless=True))
    provenance.write(provenance_path(config.output))
    with output_errors(config.work_dir):
        shutil.rmtree(config.work_dir)
    summary.seconds = time.perf_counter() - start
    return summary
