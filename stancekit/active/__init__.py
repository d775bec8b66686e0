"""Active learning: which unlabelled sentences are worth labelling next (``strategies``) and the ranking of a
Label Studio project's open tasks (``rank``)."""
