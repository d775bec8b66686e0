"""Tiny trained models shared by the test suite (training, tagging, Label Studio pre-annotation).

Each is trained once per session on a few dozen real NewsMTSC rows from ../shared: the real
default base model fine-tuned for a few steps, and the real baseline. Their predictions are not
meant to be good, only real.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from marked_text import marked_sentences

REPO = Path(__file__).resolve().parent.parent
SEED_GOLD = REPO / "datasets" / "seed-gold"
TINY_TRAIN_SENTENCES = 40
TINY_VALIDATION_LINES = 24


@pytest.fixture(scope="session")
def tiny_newsmtsc_dir(newsmtsc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NewsMTSC-format folder with the first rows of the real train and dev_mt files."""
    folder = tmp_path_factory.mktemp("tiny-newsmtsc")
    for name, lines in (("train.jsonl", TINY_TRAIN_SENTENCES), ("dev_mt.jsonl", TINY_VALIDATION_LINES)):
        with (newsmtsc_dir / name).open(encoding="utf-8") as source:
            head = [next(source) for _ in range(lines)]
        (folder / name).write_text("".join(head), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_stance_model_dir(tiny_newsmtsc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default transformer (span-pool) fine-tuned for 4 steps on 40 real NewsMTSC sentences."""
    from stancekit.training import TrainConfig, train

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    output = tmp_path_factory.mktemp("models") / "tiny-stance"
    train(TrainConfig(data=[tiny_newsmtsc_dir], output=output, max_steps=4, batch_size=8, eval_steps=4,
                      device="cpu", progress=False))
    return output


@pytest.fixture(scope="session")
def baseline_stance_model_dir(newsmtsc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scikit-learn baseline trained on the first 400 real NewsMTSC train sentences."""
    from stancekit.training import TrainConfig, train

    output = tmp_path_factory.mktemp("models") / "baseline-stance"
    train(TrainConfig(data=[newsmtsc_dir / "train.jsonl"], validation=[newsmtsc_dir / "dev_rw.jsonl"],
                      output=output, kind="baseline", max_train_sentences=400, progress=False))
    return output


@pytest.fixture(scope="session")
def tiny_sentiment_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default transformer fine-tuned for 4 steps on the sentence sentiment of the seed gold set."""
    from stancekit.training import TrainConfig, train

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    output = tmp_path_factory.mktemp("models") / "tiny-sentiment"
    train(TrainConfig(data=[SEED_GOLD], output=output, task="sentiment", max_steps=4, batch_size=8, eval_steps=4,
                      device="cpu", progress=False))
    return output


@pytest.fixture(scope="session")
def tiny_multilingual_base_dir(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
    """A tiny XLM-R-type base model made here (nothing multilingual installs offline): a Unigram tokenizer
    (SentencePiece-style, as XLM-R's) trained with ``tokenizers`` on a few KB of Russian, Armenian,
    Azerbaijani, Turkish and English text, and a randomly initialised 2-layer XLM-RoBERTa encoder."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    corpus = [text for language in ("ru", "hy", "az", "tr") for text, _ in marked_sentences(language)]
    corpus += [line for line in seed_text.splitlines() if line.strip()]
    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    backend = Tokenizer(models.Unigram())
    backend.normalizer = normalizers.NFKC()
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.decoder = decoders.Metaspace()
    backend.train_from_iterator(corpus, trainers.UnigramTrainer(vocab_size=600, special_tokens=special,
                                                                 unk_token="<unk>"))
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[(token, backend.token_to_id(token)) for token in ("<s>", "</s>")])
    tokenizer = XLMRobertaTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                        cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>")
    config = XLMRobertaConfig(vocab_size=backend.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64, max_position_embeddings=260,
                              pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                              eos_token_id=tokenizer.eos_token_id, type_vocab_size=1)
    folder = tmp_path_factory.mktemp("tiny-xlmr")
    XLMRobertaModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def russian_newsmtsc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The marked Russian test sentences as a NewsMTSC-format folder (train and dev_mt), with made-up stances."""
    polarities = (2.0, 4.0, 6.0)
    lines = []
    for i, (text, spans) in enumerate(marked_sentences("ru")):
        if spans:
            targets = [{"Input.gid": f"ru-{i}-{k}", "from": s, "to": e, "mention": text[s:e],
                        "polarity": polarities[(i + k) % 3]} for k, (s, e, _) in enumerate(spans)]
            lines.append(json.dumps({"primary_gid": f"ru-{i}", "sentence_normalized": text, "targets": targets},
                                    ensure_ascii=False))
    folder = tmp_path_factory.mktemp("ru-newsmtsc")
    (folder / "train.jsonl").write_text("\n".join(lines[:-6]) + "\n", encoding="utf-8")
    (folder / "dev_mt.jsonl").write_text("\n".join(lines[-6:]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_multilingual_model_dir(tiny_multilingual_base_dir: Path, russian_newsmtsc_dir: Path,
                                tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny XLM-R base fine-tuned (span-pool stance) for 4 steps on the Russian sentences, through --base-model."""
    from stancekit.training import TrainConfig, train

    output = tmp_path_factory.mktemp("models") / "tiny-xlmr-stance"
    train(TrainConfig(data=[russian_newsmtsc_dir], output=output, base_model=str(tiny_multilingual_base_dir),
                      max_steps=4, batch_size=8, eval_steps=4, device="cpu", progress=False))
    return output
