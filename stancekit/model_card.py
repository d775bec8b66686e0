"""The model card (``README.md``) written beside every trained model, from its ``stancekit.json``.

Its YAML header is Hugging Face model card metadata (``huggingface_hub.ModelCardData``): library,
license, base model and training datasets as Hub ids where they have one, metrics and a ``model-index``
with the validation results, so that the Hub and its tools read what the model is and how it scored.
It has no ``pipeline_tag``: plain transformers cannot run a stancekit folder (the card shows the
lines that load it with stancekit). The card leaves the machine with the folder, so it names files by
their folder and name only, never by the absolute paths of the machine that trained the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancekit.io import atomic_write
from stancekit.models.manifest import DEFAULT_BASE_MODEL, Manifest

HUB_BASE_MODELS = {DEFAULT_BASE_MODEL: "sentence-transformers/all-MiniLM-L6-v2"}  # offline copies -> Hub ids
# The weights' license: fine-tuned weights keep their base model's (all-MiniLM-L6-v2: Apache-2.0); the baseline's
# are stancekit's own (MIT, as the code). Another base model: its license is unknown here ("other").
BASE_MODEL_LICENSES = {DEFAULT_BASE_MODEL: "apache-2.0"}
BASELINE_LICENSE = "mit"
NEWSMTSC = "fhamborg/news_sentiment_newsmtsc"  # NewsMTSC on the Hugging Face Hub
TAGS = ["stancekit", "stance-detection", "target-dependent-sentiment", "news", "armed-conflict"]

SCHEME_TEXT = {
    "span-pool": "one encoder pass per sentence; every mention wrapped in `[ ... ]` markers; each mention "
                 "classified from the mean of the sentence tokens and the mean of its marked span",
    "pair": "one encoder pass per mention: only the asked-about mention marked, its text as second segment",
    "sentence": "one encoder pass per sentence, mean-pooled (no target)",
    "tfidf-window": "TF-IDF word 1-2-grams of the sentence with the mention masked, plus words in a 6-word window "
                    "left/right of it; class-balanced logistic regression",
    "tfidf": "TF-IDF word 1-2-grams of the sentence; class-balanced logistic regression",
}


def _metrics_table(metrics: dict[str, Any], labels: list[str]) -> list[str]:
    lines = ["| split | n | macro-F1 | accuracy | " + " | ".join(f"F1 {label}" for label in labels) + " |",
             "|---|---|---|---|" + "---|" * len(labels)]
    for split, m in metrics.items():
        per_class = " | ".join(f"{m['per_class'].get(label, {}).get('f1', 0.0):.3f}" for label in labels)
        lines.append(f"| {split} | {m['n']} | {m['f1_macro']:.3f} | {m['accuracy']:.3f} | {per_class} |")
    return lines


def portable(path: str | None) -> str:
    """A file or folder as a card names it: its parent folder and name (``newsmtsc/train.jsonl``), no more."""
    if not path:
        return "none"
    parts = Path(path).parts
    return "/".join(parts[-2:]) if Path(path).is_absolute() or len(parts) > 2 else Path(path).as_posix()


def model_license(manifest: dict[str, Any]) -> str:
    """The weights' license (Hugging Face license id)."""
    if manifest["kind"] != "transformer":
        return BASELINE_LICENSE
    return BASE_MODEL_LICENSES.get(manifest.get("base_model") or "", "other")


def usage(manifest: dict[str, Any]) -> list[str]:
    """How to load and run the folder: with stancekit, since plain transformers cannot."""
    call = ("predict_stance([Sentence(\"doc\", 0, 0, 28, \"Russia condemned the strike.\", "
            "(Mention(\"russia\", 0, 6, \"Russia\"),))])" if manifest["task"] == "stance" else
            "predict_sentiment([Sentence(\"doc\", 0, 0, 28, \"Russia condemned the strike.\")])")
    why = ("its `config.json` says `model_type: stancekit`: the head pools the marked mention spans, which no stock "
           "transformers class does" if manifest["kind"] == "transformer" else
           "it is a scikit-learn model stored as JSON and NumPy arrays")
    return ["## How to use",
            f"Plain `transformers` (`AutoModel`, `pipeline`) cannot run this folder: {why}. Load it with "
            "stancekit (`pip install '.'` in the stancekit checkout):", "",
            "```python",
            "from stancekit import load_model",
            "from stancekit.records import Mention, Sentence",
            f"print(load_model(\"path/to/this/folder\").{call})",
            "```", "",
            "or tag whole folders of coverage: `stancekit tag coverage/ --model path/to/this/folder --actors "
            "actors.yaml -o tags.jsonl`.", ""]


def render_model_card(manifest: dict[str, Any]) -> str:
    task, labels = manifest["task"], manifest["labels"]
    what = ("the stance of a news sentence toward each actor mentioned in it" if task == "stance"
            else "the overall sentiment of a news sentence")
    data = manifest["data"]
    lines = [
        f"# stancekit {task} model ({manifest['kind']})", "",
        f"Predicts {what}: {', '.join(labels)}. Trained by `stancekit train` on {manifest['created']}.", "",
        "## Intended use",
        "Tagging news coverage of armed conflicts with `stancekit`, pre-annotating for Label Studio and "
        "measuring stance per actor in aggregate. Not for judging single articles or people without review.", "",
        *usage(manifest),
        "## Model",
        f"- kind: {manifest['kind']}; input scheme `{manifest['input_scheme']}`: "
        f"{SCHEME_TEXT.get(manifest['input_scheme'], '')}",
        f"- base model: {portable(manifest.get('base_model'))}",
        f"- hyperparameters: `{manifest.get('hyperparameters', {})}`",
        f"- fingerprint: `{manifest['fingerprint'][:16]}`", "",
        "## Data",
        f"- training label counts: {data['train_label_counts']} (formats: {', '.join(data['formats'])})",
    ]
    lines += [f"- train: `{portable(s['path'])}` ({s['examples']} sentences, sha256 {s['sha256'][:12]})"
              for s in data["train"]]
    lines += [f"- validation: `{portable(s['path'])}` ({s['examples']} sentences, sha256 {s['sha256'][:12]})"
              for s in data["validation"]]
    lines += ["", "## Metrics (validation data; also used for model selection, so optimistic)", ""]
    lines += _metrics_table(manifest.get("metrics", {}), labels)
    lines += ["", "## Limits",
              "- NewsMTSC is US/UK political news about people; conflict coverage differs (actors are states, "
              "armies, leaders): check it on the project's gold data with `stancekit evaluate`.",
              "- One sentence at a time: no document context, coreference or sarcasm beyond what one sentence says.",
              "- Validation figures were used to pick the checkpoint/regularisation; report held-out test figures.",
              "", "## License",
              f"The weights: `{model_license(manifest)}` ("
              + ("the license of the base model they were fine-tuned from" if manifest["kind"] == "transformer"
                 else "stancekit's license") + "). The training data keep their own terms (NewsMTSC: see its "
              "release; your gold data: the sentences are excerpts of news coverage): check them before publishing.",
              "", "## Versions", f"`{manifest.get('versions', {})}`", ""]
    return "\n".join(lines)


def _dataset(sources: list[dict[str, Any]]) -> tuple[str, str]:
    """(Hub dataset id or local kind, readable name) of the files one result was measured on."""
    files = [Path(s["path"]) for s in sources]
    if files and all(f.suffix != ".parquet" for f in files):
        return NEWSMTSC, "NewsMTSC " + " + ".join(f.stem for f in files)
    return "stancekit-gold", " + ".join(f"{f.parent.name}/{f.name}" for f in files) or "validation"


def card_data(manifest: dict[str, Any]) -> Any:
    """The Hugging Face metadata of a model card (``huggingface_hub.ModelCardData``)."""
    from huggingface_hub import EvalResult, ModelCardData

    name = f"stancekit-{manifest['task']}-{manifest['kind']}"
    task_name = ("stance toward each mentioned actor" if manifest["task"] == "stance" else "sentence sentiment")
    validation = manifest["data"]["validation"]
    results = []
    for split, scores in manifest.get("metrics", {}).items():
        sources = [s for s in validation if split == "validation" or split == f"validation:{Path(s['path']).name}"]
        dataset_type, dataset_name = _dataset(sources)
        for metric, value, config in (("f1", scores["f1_macro"], "macro"), ("accuracy", scores["accuracy"], None)):
            results.append(EvalResult(task_type="text-classification", task_name=task_name, dataset_type=dataset_type,
                                      dataset_name=dataset_name, dataset_split="validation", metric_type=metric,
                                      dataset_config=None if split == "validation" else Path(split.split(":", 1)[1]).stem,
                                      metric_name="macro-F1" if metric == "f1" else metric, metric_config=config,
                                      metric_value=round(float(value), 4)))
    base = manifest.get("base_model")
    base = HUB_BASE_MODELS.get(base, base)
    train_files = [Path(s["path"]) for s in manifest["data"]["train"]]
    return ModelCardData(
        model_name=name, library_name="stancekit", license=model_license(manifest), language="en",
        base_model=base if base and not Path(base).exists() else None,  # a local folder is no Hub id
        datasets=[NEWSMTSC] if any(f.suffix != ".parquet" for f in train_files) else None,
        metrics=["f1", "accuracy"], tags=TAGS + [manifest["kind"], manifest["task"]], eval_results=results or None)


def write_model_card(path: Path, manifest: Manifest) -> None:
    """Write ``README.md``: the Hugging Face metadata header, then the card."""
    from huggingface_hub import ModelCard

    data = manifest.to_dict()
    card = ModelCard(f"---\n{card_data(data).to_yaml()}\n---\n\n{render_model_card(data)}")
    with atomic_write(path / "README.md") as handle:
        handle.write(str(card))
