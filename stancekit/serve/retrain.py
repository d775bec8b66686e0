"""One retraining run from a Label Studio project, in its own process (``python -m stancekit.serve.retrain JOB``).

1. pull the project's labels with the code of ``stancekit ls pull`` (the raw export is kept verbatim
   in ``<versions>/data/<project>/raw/``);
2. build the gold set as ``stancekit dataset build`` does (majority / adjudicated, split by document),
   its test split being the held-out slice;
3. fine-tune from the served model (a transformer continues from its weights; a baseline is refit);
4. score the served and the new model on the held-out slice; the new version is accepted when it is
   not worse. Both figures go into the new version's ``stancekit.json`` under ``"retraining"``.

The new version lands in ``<versions>/<version>/`` (accepted or not); the server switches to it only
when accepted. The Label Studio token comes from this process's environment (given by the server:
:func:`stancekit.studio.connection.token_environment`) and is never written. The outcome is ``result.json`` in the job folder; a run that fails
on purpose writes ``error.json``; a crash or kill writes neither and the server reads the log.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stancekit.models.folder import amend_manifest
from stancekit.models.manifest import Manifest
from stancekit.errors import ConfigError, StanceKitError
from stancekit.io import atomic_write
from stancekit.serve.config import TrainingSettings
from stancekit.serve.versions import Version, VersionStore
from stancekit.studio.connection import studio_token, studio_url

JOB_FILE, RESULT_FILE, ERROR_FILE, LOG_FILE = "job.json", "result.json", "error.json", "job.log"


@dataclass
class RetrainJob:
    """What one run trains from (Label Studio project, served version) and where it writes."""

    studio_url: str
    project_title: str
    model_dir: Path  # the model given to stancekit serve (names the versions)
    versions_root: Path
    served_version: str
    served_path: Path
    job_dir: Path
    actors: Path | None = None
    training: TrainingSettings = field(default_factory=TrainingSettings)
    seed: int = 13

    def __post_init__(self) -> None:
        for name in ("model_dir", "versions_root", "served_path", "job_dir"):
            setattr(self, name, Path(getattr(self, name)))
        self.actors = Path(self.actors) if self.actors is not None else None
        if isinstance(self.training, dict):  # read back from job.json
            self.training = TrainingSettings(**self.training)
        if not self.studio_url:
            raise ConfigError("no Label Studio URL known to pull the labels from: connect the backend from Label "
                              "Studio (it sends its address), or start stancekit serve with --url (or set "
                              "$LABEL_STUDIO_URL, or label_studio.url in the project file)")
        self.studio_url = studio_url(self.studio_url)
        if not self.project_title.strip():
            raise ConfigError("no project title: the training request named no Label Studio project")

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


def train_version(job: RetrainJob, gold_dir: Path, output: Path) -> Path:
    """The one place the backend trains (today's ``stancekit.training``): warm start from the served model."""
    from stancekit.training import TrainConfig, train

    served = Manifest.read(job.served_path)
    settings = job.training
    common = dict(data=[gold_dir], output=output, task="stance", epochs=settings.epochs, max_steps=settings.max_steps,
                  batch_size=settings.batch_size, threads=settings.threads, seed=job.seed, device="cpu",
                  progress=False)
    if served.kind == "baseline":
        config = TrainConfig(**common, kind="baseline")
    else:
        config = TrainConfig(**common, base_model=str(job.served_path), input_scheme=served.input_scheme,
                             max_length=served.max_length or 256)
    return train(config).path


def held_out_f1(model_path: Path, gold_dir: Path) -> tuple[float, int]:
    """Stance macro-F1 of a model on the gold set's test split, and how many mentions it scored."""
    from stancekit.evaluation import evaluate_examples
    from stancekit.examples import load_examples
    from stancekit.models import InferenceOptions
    from stancekit.serve.predictor import load_classifier

    examples = load_examples([gold_dir], split="test", data_format="gold").examples
    scores = evaluate_examples(load_classifier(model_path, task="stance", options=InferenceOptions(device="cpu")),
                               examples, per_actor=False)
    return scores["f1_macro"], scores["n"]


def rank_unannotated(job: RetrainJob, model: Path, token: str) -> dict[str, Any]:
    """Order the project's label stream by the new version's BreakingTies certainty (as ``ls rank --apply``).

    A failure here does not undo the accepted version: it is reported in the result instead.
    """
    from stancekit.active.rank import RankConfig, rank
    from stancekit.studio.client import StudioClient

    try:
        with StudioClient(job.studio_url, token) as client:
            ranked = rank(RankConfig(project=job.project_title, model=model, apply=True, actors=job.actors), client)
    except StanceKitError as err:
        return {"error": str(err)}
    return {"model_version": ranked.model_version, "tasks": len(ranked.ranked), "applied": ranked.applied}


def run(job: RetrainJob) -> dict[str, Any]:
    """Pull, build, train, compare; returns the result (also written to the job folder).

    The whole run holds the versions folder's retraining lock: a run left going by a killed server and a
    run of the restarted one never pull, number or stage versions at once (the second is refused, naming
    the first's pid).
    """
    with VersionStore(job.model_dir, job.versions_root).retraining():
        return _run_locked(job)


def _run_locked(job: RetrainJob) -> dict[str, Any]:
    from stancekit.studio.client import StudioClient
    from stancekit.gold.build import DatasetBuildConfig, build_dataset
    from stancekit.studio.pull import PullConfig, pull
    from stancekit.studio.pulled import slug

    started = time.perf_counter()
    store = VersionStore(job.model_dir, job.versions_root)
    data_root = job.versions_root / "data"
    pulled_dir = data_root / slug(job.project_title)
    token = studio_token()
    with StudioClient(job.studio_url, token) as client:
        pulled = pull(PullConfig(project=job.project_title, out_dir=pulled_dir, actors=job.actors), client)
    print(f"pulled {len(pulled.parsed.tasks)} tasks, {len(pulled.parsed.records)} annotation records "
          f"into {pulled_dir}", file=sys.stderr, flush=True)
    number = store.next_number()
    gold = build_dataset(DatasetBuildConfig(annotations_dir=pulled_dir, output=data_root / f"gold-r{number}",
                                            validation=0.1, test=job.training.held_out, seed=job.seed))
    if not gold.counts["test"]["mentions"] or not gold.counts["train"]["mentions"]:
        raise ConfigError(f"too few labelled sentences to train and hold a slice out ({gold.counts['train']} train, "
                          f"{gold.counts['test']} held out); label more tasks (in several documents) and retrain")
    staging = job.versions_root / f".r{number}.training"
    shutil.rmtree(staging, ignore_errors=True)
    trained = train_version(job, gold.out_dir, staging)
    old_f1, n = held_out_f1(job.served_path, gold.out_dir)
    new_f1, _ = held_out_f1(trained, gold.out_dir)
    name = store.name_for(number, Manifest.read(trained).fingerprint)
    version = Version(name, job.versions_root / name)
    accepted = new_f1 >= old_f1
    retraining = {
        "project": job.project_title, "raw_export": str(pulled.raw_path), "gold_dataset": str(gold.out_dir),
        "gold_counts": gold.counts, "warm_start_from": job.served_version,
        "held_out": {"split": "test", "share": job.training.held_out, "mentions": n, "metric": "stance f1_macro",
                     "previous": round(old_f1, 4), "new": round(new_f1, 4)},
        "accepted": accepted, "seconds": round(time.perf_counter() - started, 1),
    }
    amend_manifest(trained, retraining=retraining)
    trained.rename(version.path)
    result = {"version": version.name, "path": str(version.path), **retraining}
    if accepted:
        result["ranking"] = rank_unannotated(job, version.path, token)
    with atomic_write(job.job_dir / RESULT_FILE) as handle:
        json.dump(result, handle, indent=2)
    return result


def main(argv: list[str]) -> int:
    job_dir = Path(argv[0])
    try:
        job = RetrainJob(**json.loads((job_dir / JOB_FILE).read_text(encoding="utf-8")))
        result = run(job)
    except StanceKitError as err:
        with atomic_write(job_dir / ERROR_FILE) as handle:
            json.dump({"error": str(err)}, handle)
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"version {result['version']}: held-out macro-F1 {result['held_out']['previous']} -> "
          f"{result['held_out']['new']} ({'accepted' if result['accepted'] else 'kept the served model'})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
