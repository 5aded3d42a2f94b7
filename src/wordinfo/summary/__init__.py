"""``wordinfo summary`` and ``wordinfo query``: DuckDB over one or more runs' Parquet parts.

A :class:`Workspace` opens runs (directories) and explanations (``explain --json``
files) side by side as SQL views, each row tagged with its ``run``:

- ``tokens``: one row per (run, sentence, layer, token), the Parquet columns;
- ``words``: one row per (run, sentence, layer, word): ``bits`` (entropy H, bits), ``kept``
  (bits kept relative to the bound), ``bits_se`` (the standard error of both), ``category``
  (special, punctuation, positive, negative, stop word, other), ``from_layer`` (the layer
  whose output was perturbed, 0 = the input), ``pair`` and ``segment`` (a sentence pair's
  second text and the text the word is in) and, when a tagger is installed and asked for, ``pos``;
- ``sentences``: one row per (run, sentence): text, pair, label, prediction, counts;
- ``forgetting``: one row per (run, sentence, word): ``forgotten_at``, the first layer from
  which the word keeps at most ``fraction`` (default half) of its best layer's bits to
  the last explained layer (NULL: still kept at the last layer).

Sentiment-bearing words are the entries of the VADER lexicon shipped in the
``vaderSentiment`` package (positive or negative by the sign of their valence); stop
words are the bundled list ``wordinfo/data/stopwords.txt``.

One job per module, imports going down the list:

- :mod:`~wordinfo.summary.render`: the tables as a terminal table, CSV, JSON or Markdown;
- :mod:`~wordinfo.summary.tables`: :func:`summarize` and the tables themselves;
- :mod:`~wordinfo.summary.views`: the :class:`Workspace` (a DuckDB connection and its views);
- :mod:`~wordinfo.summary.sources`: run directories, Runs, JSON files and Explanations as sources;
- :mod:`~wordinfo.summary.sql`: the views' SQL and :func:`quote`;
- :mod:`~wordinfo.summary.wordlists`: the categories, stop words, sentiment lexicon and tagger.
"""

from __future__ import annotations

from .render import render
from .sources import ExplanationSource, RunSource, open_sources
from .sql import quote
from .tables import (
                     TABLE_FUNCS,
                     TABLES,
                     category_table,
                     epoch_table,
                     forgetting_table,
                     forgetting_words_table,
                     layer_table,
                     matrix_table,
                     pos_table,
                     several_from_layers,
                     summarize,
                     word_table,
)
from .views import Workspace
from .wordlists import CATEGORIES, lexicon, pos_tagger, stop_words

__all__ = [
    "CATEGORIES", "TABLES", "TABLE_FUNCS", "ExplanationSource", "RunSource", "Workspace", "category_table",
    "epoch_table", "forgetting_table", "forgetting_words_table", "layer_table", "lexicon", "matrix_table",
    "open_sources", "pos_table", "pos_tagger", "quote", "render", "several_from_layers", "stop_words", "summarize",
    "word_table",
]
