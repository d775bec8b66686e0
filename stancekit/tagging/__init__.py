"""Batch tagging of coverage with trained stance (and sentiment) models."""

from stancekit.tagging.batch import Engine, LocalEngine, Models, load_models, run_batch, tag_sentences
from stancekit.tagging.formats import iter_tagged, output_format
from stancekit.tagging.job import TagConfig, TagSummary, tag

__all__ = ["Engine", "LocalEngine", "Models", "TagConfig", "TagSummary", "iter_tagged", "load_models",
           "output_format", "run_batch", "tag", "tag_sentences"]
