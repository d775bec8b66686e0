"""Annotation logic that no annotation tool owns: agreement, gold records, adjudication decisions.

It works on annotation records (JSONL, one per task x annotator x actor span; see
stancekit.studio.parse for the kinds), whichever tool produced them; stancekit.studio is the
Label Studio side (client, push, pull, export parsing, the review project).
"""
