"""Folders of a stancekit checkout that the defaults point at (seeds, annotate, models, datasets)."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
