"""The gold dataset, in one place: from annotators' answers to a dataset other tools can read.

- :mod:`stancekit.gold.voting`: annotation records -> gold sentence records (majority vote, disputes,
  adjudicators' answers win);
- :mod:`stancekit.gold.build`: ``stancekit dataset build`` (pulled annotations -> voting -> split by
  document -> written);
- :mod:`stancekit.gold.dataset`: the format both ways (Parquet splits with ``ClassLabel`` features,
  manifest, card, JSONL/CSV exports), reading it for training and evaluation, and telling a gold
  dataset from other data (:func:`stancekit.gold.dataset.is_gold`).
"""
