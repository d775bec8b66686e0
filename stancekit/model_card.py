"""The model card (``README.md``) written beside every trained model, from its ``stancekit.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancekit.io import atomic_write
from stancekit.models.manifest import Manifest

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


def write_model_card(path: Path, manifest: Manifest) -> None:
    with atomic_write(path / "README.md") as handle:
        handle.write(render_model_card(manifest.to_dict()))
