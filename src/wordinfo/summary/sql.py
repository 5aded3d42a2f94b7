"""The SQL of the summary views: the ``words``, ``sentences`` and ``forgetting`` views over ``tokens``.

Pure text, no connection: :class:`~wordinfo.summary.views.Workspace` runs these
statements, and :func:`quote` turns a Python string into an SQL string literal for
everything that writes a name or a path into a query (sources, the report).
"""

from __future__ import annotations


def quote(s: str) -> str:
    """``s`` as an SQL string literal (single quotes, inner quotes doubled)."""
    return "'" + s.replace("'", "''") + "'"


POS_JOIN = "LEFT JOIN pos_tags p USING (run, sentence, word_index)"

WORDS_SQL = """
CREATE VIEW words AS
WITH w AS (
    SELECT run, sentence, layer, layer_label, word_index, any_value(word) AS word, bool_or(special) AS special,
           any_value(word_bits) AS bits, any_value(word_retained_bits) AS kept, count(*) AS pieces,
           any_value(word_bits_se) AS bits_se, any_value(label) AS label, any_value(prediction) AS prediction,
           any_value(text) AS text, any_value(pair) AS pair, any_value(segment) AS segment,
           coalesce(any_value(from_layer), 0) AS from_layer
    FROM tokens GROUP BY run, sentence, layer, layer_label, word_index)
SELECT w.*,
       CASE WHEN w.special THEN 'special'
            WHEN NOT regexp_matches(w.word, '[\\pL\\pN]') THEN 'punctuation'
            WHEN l.valence > 0 THEN 'positive'
            WHEN l.valence < 0 THEN 'negative'
            WHEN s.word IS NOT NULL THEN 'stop word'
            ELSE 'other' END AS category,
       {pos} AS pos
FROM w
LEFT JOIN lexicon l ON l.word = lower(w.word)
LEFT JOIN stopwords s ON s.word = lower(w.word)
{join}
"""

SENTENCES_SQL = """
CREATE VIEW sentences AS
SELECT run, sentence, any_value(line) AS line, any_value(text) AS text, any_value(pair) AS pair,
       any_value(label) AS label,
       any_value(prediction) AS prediction, count(DISTINCT position) AS tokens,
       count(DISTINCT word_index) AS words
FROM tokens GROUP BY run, sentence
"""

FORGETTING_SQL = """
CREATE VIEW forgetting AS
WITH w AS (
    SELECT *, max(kept) OVER (PARTITION BY run, sentence, word_index) AS peak
    FROM words WHERE layer IS NOT NULL),
g AS (
    SELECT *, bool_and(kept <= {fraction} * peak) OVER (
        PARTITION BY run, sentence, word_index ORDER BY layer DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS gone
    FROM w)
SELECT run, sentence, word_index, any_value(word) AS word, any_value(category) AS category,
       any_value(special) AS special, max(peak) AS peak_kept, min(layer) FILTER (WHERE gone) AS forgotten_at,
       max(layer) AS last_layer
FROM g GROUP BY run, sentence, word_index
"""
