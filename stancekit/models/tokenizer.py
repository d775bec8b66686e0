"""A model folder's ``tokenizer.json`` through the ``tokenizers`` library, without importing transformers.

:func:`stancekit.models.encoding.build_rows` calls a tokenizer the way transformers' fast tokenizers
are called; :class:`LightTokenizer` answers those calls (texts or text pairs, truncation, character
offsets, sequence and word ids) from the same Rust tokenizer that transformers wraps. Importing
transformers costs about half a second of an ONNX Runtime load that is otherwise ~0.3 s; the export
check (:mod:`stancekit.models.onnx_runtime`) makes sure both give the same rows for each folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Encoded(dict):
    """What a call returns: ``input_ids`` (``token_type_ids``, ``offset_mapping``) by name, plus the
    per-row ``sequence_ids`` and ``word_ids`` of transformers' ``BatchEncoding``."""

    def __init__(self, encodings: list[Any], batched: bool, names: Sequence[str], offsets: bool):
        pick = (lambda values: values) if batched else (lambda values: values[0])
        super().__init__(input_ids=pick([e.ids for e in encodings]))
        if "token_type_ids" in names:
            self["token_type_ids"] = pick([e.type_ids for e in encodings])
        if offsets:
            self["offset_mapping"] = pick([e.offsets for e in encodings])
        self.encodings = encodings

    def sequence_ids(self, index: int = 0) -> list[int | None]:
        return self.encodings[index].sequence_ids

    def word_ids(self, index: int = 0) -> list[int | None]:
        return self.encodings[index].word_ids


class LightTokenizer:
    """The subset of a transformers fast tokenizer that stancekit's row building uses."""

    def __init__(self, path: Path, input_names: Sequence[str], pad_token_id: int):
        from tokenizers import Tokenizer

        self.backend = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.backend.no_padding()
        self.model_input_names = list(input_names)
        self.pad_token_id = pad_token_id

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        processor = self.backend.post_processor
        return processor.num_special_tokens_to_add(pair) if processor is not None else 0

    def __call__(self, text: str | list[str], pair: list[str] | None = None, *, truncation: bool | str = False,
                 max_length: int | None = None, add_special_tokens: bool = True,
                 return_offsets_mapping: bool = False) -> Encoded:
        batched = isinstance(text, list)
        texts = text if batched else [text]
        if truncation and max_length is not None:
            strategy = truncation if isinstance(truncation, str) else "longest_first"
            self.backend.enable_truncation(max_length, strategy=strategy, direction="right")
        else:
            self.backend.no_truncation()
        inputs = list(zip(texts, pair)) if pair is not None else texts
        encodings = self.backend.encode_batch(inputs, add_special_tokens=add_special_tokens)
        return Encoded(encodings, batched, self.model_input_names, return_offsets_mapping)
