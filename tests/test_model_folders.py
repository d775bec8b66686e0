"""Model folders are checked on load: every file the manifest lists (size, SHA-256), every file a kind
needs, damaged weights/config/tokenizer/manifest as one-line ModelErrors (API and CLI), file modes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import ModelError
from stancekit.io import file_sha256
from stancekit.labels import STANCE_LABELS
from stancekit.models import InferenceOptions, load_model
from stancekit.models.manifest import describe_files

CPU = InferenceOptions(device="cpu")
SEED_ARTICLE = Path(__file__).resolve().parent.parent / "seeds" / "000_cae259164d53c011.txt"
SEED_GOLD = Path(__file__).resolve().parent.parent / "datasets" / "seed-gold"
KINDS = ["tiny_stance_model_dir", "baseline_stance_model_dir"]
NEEDED = {"tiny_stance_model_dir": ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                                    "head.safetensors"],
          "baseline_stance_model_dir": ["baseline.json", "baseline.npz"]}
WEIGHTS = {"tiny_stance_model_dir": ["model.safetensors", "head.safetensors"],
           "baseline_stance_model_dir": ["baseline.json", "baseline.npz"]}


def copy_of(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(request.getfixturevalue(fixture), copy)
    return copy


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "stancekit.json").read_text(encoding="utf-8"))


def rewrite_manifest(folder: Path, **changes: object) -> None:
    (folder / "stancekit.json").write_text(json.dumps(manifest_of(folder) | changes), encoding="utf-8")


def relist(folder: Path, fixture: str) -> None:
    """Make the manifest agree with the (damaged) files: what an old or hand-edited folder may look like."""
    rewrite_manifest(folder, files=describe_files(folder),
                     fingerprint=file_sha256(*(folder / name for name in WEIGHTS[fixture])))


@pytest.mark.parametrize("fixture", KINDS)
def test_training_lists_every_file_with_size_and_digest_and_one_mode(fixture: str,
                                                                     request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue(fixture)
    files = manifest_of(folder)["files"]
    on_disk = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert sorted(files) == sorted(set(on_disk) - {"stancekit.json", "README.md"})
    assert set(NEEDED[fixture]) <= set(files)
    for name, entry in files.items():
        assert entry == {"size": (folder / name).stat().st_size, "sha256": file_sha256(folder / name)}
    umask = os.umask(0)
    os.umask(umask)
    assert {name: (folder / name).stat().st_mode & 0o777 for name in on_disk} == \
        {name: 0o666 & ~umask for name in on_disk}


@pytest.mark.parametrize("fixture", KINDS)
def test_each_missing_file_is_refused_by_name(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    folder = copy_of(fixture, request, tmp_path)
    for name in manifest_of(folder)["files"]:
        kept = folder / name
        moved = kept.rename(tmp_path / "aside")
        with pytest.raises(ModelError, match=rf"model folder {folder}.*{name}.*missing.*retrain"):
            load_model(folder, CPU)
        moved.rename(kept)


@pytest.mark.parametrize("fixture", KINDS)
def test_a_needed_file_missing_from_an_unlisted_folder_is_refused(fixture: str, request: pytest.FixtureRequest,
                                                                  tmp_path: Path) -> None:
    """The tokenizer.json case: even without a file list, a kind's needed files must be there."""
    folder = copy_of(fixture, request, tmp_path)
    rewrite_manifest(folder, files={})
    for name in NEEDED[fixture]:
        moved = (folder / name).rename(tmp_path / "aside")
        with pytest.raises(ModelError, match=rf"partial model directory: {name} missing"):
            load_model(folder, CPU)
        moved.rename(folder / name)


@pytest.mark.parametrize("damage", ["truncate", "alter"])
@pytest.mark.parametrize("fixture", KINDS)
def test_each_truncated_or_altered_file_is_refused(fixture: str, damage: str, request: pytest.FixtureRequest,
                                                   tmp_path: Path) -> None:
    folder = copy_of(fixture, request, tmp_path)
    for name in manifest_of(folder)["files"]:
        path = folder / name
        original = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(original[: len(original) // 2])
            message = rf"{name}: {len(original) // 2} bytes, the manifest says {len(original)} \(truncated"
        else:  # same size, one byte changed: only the digest sees it
            middle = len(original) // 2
            path.write_bytes(original[:middle] + bytes([original[middle] ^ 0x20]) + original[middle + 1:])
            message = rf"{name}: contents differ from the manifest .*altered"
        with pytest.raises(ModelError, match=message):
            load_model(folder, CPU)
        path.write_bytes(original)


@pytest.mark.parametrize("fixture", KINDS)
def test_extra_files_are_harmless(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    folder = copy_of(fixture, request, tmp_path)
    (folder / "notes.txt").write_text("copied from the cluster", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\0\1")
    assert load_model(folder, CPU).name.startswith("model@")


@pytest.mark.parametrize("fixture", KINDS)
def test_an_old_folder_without_file_list_loads_with_a_warning_but_its_weights_are_checked(
        fixture: str, request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = copy_of(fixture, request, tmp_path)
    manifest = manifest_of(folder)
    del manifest["files"]
    (folder / "stancekit.json").write_text(json.dumps(manifest), encoding="utf-8")
    load_model(folder, CPU)
    assert "lists no files (written by an older stancekit): only the weights were checked" in capsys.readouterr().err
    weights = folder / WEIGHTS[fixture][0]
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelError, match="do not match the manifest's fingerprint"):
        load_model(folder, CPU)


BROKEN = [
    ("tiny_stance_model_dir", "model.safetensors", b""),
    ("tiny_stance_model_dir", "model.safetensors", os.urandom(4096)),
    ("tiny_stance_model_dir", "model.safetensors", "truncate"),
    ("tiny_stance_model_dir", "head.safetensors", b""),
    ("tiny_stance_model_dir", "head.safetensors", os.urandom(512)),
    ("tiny_stance_model_dir", "config.json", b"{\"model_type\": \"bert\", "),
    ("tiny_stance_model_dir", "config.json", b"[1, 2]"),
    ("tiny_stance_model_dir", "tokenizer.json", os.urandom(256)),
    ("tiny_stance_model_dir", "tokenizer.json", b"{\"version\": \"1.0\", \"model\": {\"type\": \"Nope\"}}"),
    ("baseline_stance_model_dir", "baseline.npz", b""),
    ("baseline_stance_model_dir", "baseline.npz", os.urandom(4096)),
    ("baseline_stance_model_dir", "baseline.npz", "truncate"),
    ("baseline_stance_model_dir", "baseline.json", b"{\"target_aware\": true"),
    ("baseline_stance_model_dir", "baseline.json", b"{\"target_aware\": true, \"vocabularies\": {\"text\": {}}}"),
]


@pytest.mark.parametrize("fixture, name, content", BROKEN, ids=[f"{b[1]}-{i}" for i, b in enumerate(BROKEN)])
def test_damaged_files_the_manifest_agrees_with_are_model_errors(fixture: str, name: str, content: bytes | str,
                                                                 request: pytest.FixtureRequest,
                                                                 tmp_path: Path) -> None:
    folder = copy_of(fixture, request, tmp_path)
    path = folder / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3] if content == "truncate" else content)
    relist(folder, fixture)
    with pytest.raises(ModelError, match=rf"model folder {folder}/{name}: .*; retrain"):
        load_model(folder, CPU)


MALFORMED = [
    ("[]", "expected a JSON object"),
    ({"labels": 5}, "labels must be list, found 5"),
    ({"labels": [1, 2, 3]}, "labels must be a list of strings"),
    ({"fingerprint": 5}, "fingerprint must be str"),
    ({"max_length": "long"}, "max_length must be int or null"),
    ({"max_length": 0}, "max_length must be a token count"),
    ({"kind": ["baseline"]}, "kind must be str"),
    ({"files": {"baseline.npz": 12}}, "files entry 'baseline.npz' must be a relative file name"),
    ({"files": {"../elsewhere": {"size": 1, "sha256": "00"}}}, "files entry '../elsewhere' must be"),
    ({"hyperparameters": None}, "hyperparameters must be dict"),
]


@pytest.mark.parametrize("change, message", MALFORMED)
def test_a_malformed_manifest_is_a_model_error(change: object, message: str, baseline_stance_model_dir: Path,
                                               tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(baseline_stance_model_dir, folder)
    if isinstance(change, dict):
        rewrite_manifest(folder, **change)
    else:
        (folder / "stancekit.json").write_text(change, encoding="utf-8")
    with pytest.raises(ModelError, match=rf"model folder {folder}/stancekit.json: {message}"):
        load_model(folder)


@pytest.mark.parametrize("command", ["tag", "evaluate"])
def test_the_cli_prints_one_line_for_a_damaged_folder(command: str, baseline_stance_model_dir: Path,
                                                      newsmtsc_dir: Path, seed_actors_path: Path,
                                                      tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(baseline_stance_model_dir, folder)
    (folder / "baseline.npz").write_bytes(b"")
    relist(folder, "baseline_stance_model_dir")  # the empty-baseline.npz case printed only "Aborted."
    data = str(newsmtsc_dir / "dev_mt.jsonl")
    args = (["tag", str(SEED_ARTICLE), "-m", str(folder), "-a", str(seed_actors_path), "-o", str(tmp_path / "t.jsonl")]
            if command == "tag" else ["evaluate", "-m", str(folder), "-d", data])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.output
    assert f"model folder {folder}/baseline.npz: cannot be loaded" in result.stderr


def test_the_serve_backend_refuses_a_damaged_folder(baseline_stance_model_dir: Path, tmp_path: Path) -> None:
    from stancekit.serve.predictor import load_classifier

    folder = tmp_path / "model"
    shutil.copytree(baseline_stance_model_dir, folder)
    (folder / "baseline.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError, match=r"baseline.json: .*\(truncated or altered\); retrain"):
        load_classifier(folder, task="stance", options=CPU)


def test_plain_transformers_refuses_the_folder_instead_of_a_random_head(tiny_stance_model_dir: Path) -> None:
    """Before: AutoModelForSequenceClassification/pipeline loaded the encoder under a new random head
    (LABEL_0 at 0.51, no error)."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, pipeline

    config = json.loads((tiny_stance_model_dir / "config.json").read_text(encoding="utf-8"))
    labels = manifest_of(tiny_stance_model_dir)["labels"]
    assert config["id2label"] == {str(i): label for i, label in enumerate(labels)}
    assert config["label2id"] == {label: i for i, label in enumerate(labels)} and set(labels) == set(STANCE_LABELS)
    assert config["architectures"] == ["StanceKitSpanPoolingClassifier"] and config["model_type"] == "stancekit"
    assert config["stancekit"]["encoder_model_type"] == "bert"
    for load in (lambda: AutoModelForSequenceClassification.from_pretrained(tiny_stance_model_dir),
                 lambda: pipeline("text-classification", model=str(tiny_stance_model_dir)),
                 lambda: AutoConfig.from_pretrained(tiny_stance_model_dir)):
        with pytest.raises(ValueError, match="model type `stancekit`"):
            load()
    assert AutoTokenizer.from_pretrained(tiny_stance_model_dir).is_fast  # the tokenizer stays usable as is
    assert load_model(tiny_stance_model_dir, CPU).predict_stance([]) == []


def test_a_stancekit_folder_is_a_warm_start_base(tiny_stance_model_dir: Path, tiny_newsmtsc_dir: Path,
                                                 tmp_path: Path) -> None:
    from stancekit.training import TrainConfig, train

    out = tmp_path / "continued"
    train(TrainConfig(data=[tiny_newsmtsc_dir], output=out, base_model=str(tiny_stance_model_dir), max_steps=1,
                      batch_size=8, eval_steps=1, device="cpu", progress=False, max_train_sentences=8))
    assert manifest_of(out)["base_model"] == str(tiny_stance_model_dir)
    assert load_model(out, CPU).predict_stance([]) == []


@pytest.mark.parametrize("fixture", KINDS)
def test_a_version_retrained_by_the_serve_backend_lists_its_files(fixture: str, request: pytest.FixtureRequest,
                                                                  tmp_path: Path) -> None:
    """The backend swaps in folders written by its retraining step: they are listed and checked like any other."""
    from stancekit.serve.config import TrainingSettings
    from stancekit.serve.retrain import RetrainJob, train_version

    served = request.getfixturevalue(fixture)
    job = RetrainJob(studio_url="http://localhost:9", project_title="p", model_dir=served,
                     versions_root=tmp_path / "versions", served_version=served.name, served_path=served,
                     job_dir=tmp_path / "job", training=TrainingSettings(max_steps=2, batch_size=8, threads=1))
    retrained = train_version(job, SEED_GOLD, tmp_path / "r1")
    assert manifest_of(retrained)["files"] == describe_files(retrained)
    assert "heldout-predictions.jsonl" in describe_files(retrained)  # the report can correct its counts
    assert load_model(retrained, CPU).name.startswith("r1@")


@pytest.mark.parametrize("fixture", KINDS)
def test_held_out_predictions_are_kept_listed_and_checked(fixture: str, request: pytest.FixtureRequest,
                                                          tmp_path: Path) -> None:
    """What `stancekit report` corrects counts with: the validation split's labels and the model's probabilities."""
    from stancekit.models.heldout import HELDOUT_FILE, LabelledPredictions

    folder = request.getfixturevalue(fixture)
    manifest = manifest_of(folder)
    assert HELDOUT_FILE in manifest["files"] and manifest["heldout"]["file"] == HELDOUT_FILE
    items = LabelledPredictions.read(folder / HELDOUT_FILE, manifest["labels"])
    assert len(items) == manifest["heldout"]["items"] == manifest["metrics"]["validation"]["n"] > 0
    assert np.allclose(items.probabilities.sum(axis=1), 1, atol=1e-4)
    model = load_model(folder, CPU)
    from stancekit.evaluation import score_labelled

    assert score_labelled(items, per_actor=False)["f1_macro"] == pytest.approx(
        manifest["metrics"]["validation"]["f1_macro"], abs=1e-9)
    assert model.manifest.heldout["split"] == "validation"
    copy = copy_of(fixture, request, tmp_path)
    text = (copy / HELDOUT_FILE).read_text(encoding="utf-8")
    (copy / HELDOUT_FILE).write_text(text.replace('"gold": "favor"', '"gold": "against"', 1), encoding="utf-8")
    with pytest.raises(ModelError, match=HELDOUT_FILE):
        load_model(copy, CPU)
