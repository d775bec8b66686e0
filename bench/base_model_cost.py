"""What a multilingual base model costs on CPU, and what the default base model makes of the conflict's languages.

1. **Cost**: the encoder architectures of the default base (all-MiniLM-L6-v2) and of multilingual bases a
   user may pass to ``--base-model`` (multilingual-e5-small, paraphrase-multilingual-MiniLM-L12-v2,
   xlm-roberta-base, bert-base-multilingual-cased), built from their published configurations with random
   weights (nothing multilingual is installable offline; the arithmetic does not depend on the weights'
   values): parameters, fp32 size, and torch CPU milliseconds per sentence (32 sentences of 48 tokens).
2. **Tokens**: the default base's English WordPiece tokenizer on the marked Russian, Armenian,
   Azerbaijani and Turkish test sentences: tokens per word and the share of ``[UNK]`` tokens (text the model
   cannot see at all).

    python bench/base_model_cost.py [--smoke]

Prints JSON (with the CPU flags, threads and load average).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from _machine import machine  # bench/ is on the path of a script run from it

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from marked_text import marked_sentences  # the test sentences and their one reader

# the published configurations (config.json on each model's page), by the fields that set the cost
ARCHITECTURES = {
    "all-MiniLM-L6-v2 (default)": ("bert", dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6,
                                                num_attention_heads=12, intermediate_size=1536)),
    "multilingual-e5-small": ("bert", dict(vocab_size=250037, hidden_size=384, num_hidden_layers=12,
                                           num_attention_heads=12, intermediate_size=1536)),
    "paraphrase-multilingual-MiniLM-L12-v2": ("bert", dict(vocab_size=250037, hidden_size=384, num_hidden_layers=12,
                                                           num_attention_heads=12, intermediate_size=1536)),
    "xlm-roberta-base": ("xlm-roberta", dict(vocab_size=250002, hidden_size=768, num_hidden_layers=12,
                                             num_attention_heads=12, intermediate_size=3072,
                                             max_position_embeddings=514, type_vocab_size=1)),
    "bert-base-multilingual-cased": ("bert", dict(vocab_size=119547, hidden_size=768, num_hidden_layers=12,
                                                  num_attention_heads=12, intermediate_size=3072)),
}


def cost(repeats: int) -> dict[str, dict[str, float]]:
    import torch
    from transformers import AutoConfig, AutoModel

    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = {}
    for name, (model_type, fields) in ARCHITECTURES.items():
        model = AutoModel.from_config(AutoConfig.for_model(model_type, **fields)).eval()
        params = sum(p.numel() for p in model.parameters())
        ids = torch.randint(5, 1000, (32, 48))
        mask = torch.ones_like(ids)
        with torch.inference_mode():
            model(input_ids=ids, attention_mask=mask)  # warm-up
            started = time.process_time()
            for _ in range(repeats):
                model(input_ids=ids, attention_mask=mask)
            seconds = (time.process_time() - started) / repeats
        out[name] = {"parameters_millions": round(params / 1e6, 1), "fp32_megabytes": round(params * 4 / 2**20),
                     "cpu_ms_per_sentence": round(1000 * seconds / 32, 2)}
        del model
    base = out["all-MiniLM-L6-v2 (default)"]["cpu_ms_per_sentence"]
    for row in out.values():
        row["times_default"] = round(row["cpu_ms_per_sentence"] / base, 1)
    return out


def default_tokens() -> dict[str, dict[str, float]]:
    from tokenizers import Tokenizer

    from stancekit.models.transformer import default_base_model

    tokenizer = Tokenizer.from_file(str(Path(default_base_model()) / "tokenizer.json"))
    tokenizer.no_padding()  # the shipped tokenizer.json pads to 128
    tokenizer.no_truncation()
    unk = tokenizer.token_to_id("[UNK]")
    out = {}
    for language in ("ru", "hy", "az", "tr"):
        lines = [text for text, _ in marked_sentences(language)]
        words = sum(len(line.split()) for line in lines)
        ids = [i for line in lines for i in tokenizer.encode(line, add_special_tokens=False).ids]
        out[language] = {"tokens_per_word": round(len(ids) / words, 2),
                         "unknown_share": round(ids.count(unk) / len(ids), 3)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one timed pass per model: seconds, the same code")
    args = parser.parse_args()
    print(json.dumps({"bench": "base_model_cost", "machine": machine(1),
                      "cost": cost(1 if args.smoke else 10), "default_tokenizer": default_tokens()}, indent=2))


if __name__ == "__main__":
    main()
