"""The model card (``README.md``) written beside every trained model, from its ``stancekit.json``.

Its YAML header is Hugging Face model card metadata (``huggingface_hub.ModelCardData``): library,
base model and training datasets as Hub ids where they have one, metrics and a ``model-index`` with
the validation results, so that the Hub and its tools read what the model is and how it scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancekit.io import atomic_write
from stancekit.models.manifest import DEFAULT_BASE_MODEL, Manifest

HUB_BASE_MODELS = {DEFAULT_BASE_MODEL: "sentence-transformers/all-MiniLM-L6-v2"}  # offline copies -> Hub ids
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
        "## Model",
        f"- kind: {manifest['kind']}; input scheme `{manifest['input_scheme']}`: "
        f"{SCHEME_TEXT.get(manifest['input_scheme'], '')}",
        f"- base model: {manifest.get('base_model') or 'none'}",
        f"- hyperparameters: `{manifest.get('hyperparameters', {})}`",
        f"- fingerprint: `{manifest['fingerprint'][:16]}`", "",
        "## Data",
        f"- training label counts: {data['train_label_counts']} (formats: {', '.join(data['formats'])})",
    ]
    lines += [f"- train: `{s['path']}` ({s['examples']} sentences, sha256 {s['sha256'][:12]})" for s in data["train"]]
    lines += [f"- validation: `{s['path']}` ({s['examples']} sentences, sha256 {s['sha256'][:12]})"
              for s in data["validation"]]
    lines += ["", "## Metrics (validation data; also used for model selection, so optimistic)", ""]
    lines += _metrics_table(manifest.get("metrics", {}), labels)
    lines += ["", "## Limits",
              "- NewsMTSC is US/UK political news about people; conflict coverage differs (actors are states, "
              "armies, leaders): check it on the project's gold data with `stancekit evaluate`.",
              "- One sentence at a time: no document context, coreference or sarcasm beyond what one sentence says.",
              "- Validation figures were used to pick the checkpoint/regularisation; report held-out test figures.",
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
        model_name=name, library_name="stancekit", pipeline_tag="text-classification", language="en",
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
