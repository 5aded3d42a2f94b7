"""The :class:`Workspace`: one DuckDB connection with the SQL views over some sources.

Each source (see :mod:`wordinfo.summary.sources`) becomes a view tagged with its
``run``; their union is ``tokens``, and over it the views of :mod:`wordinfo.summary.sql`:
``words`` (with each word's category and, when a tagger is asked for, ``pos``),
``sentences`` and ``forgetting``. The word lists are the tables ``stopwords`` and
``lexicon``; the tags, ``pos_tags``.

Analysis never writes: the runs' Parquet is read by pyarrow (:mod:`~wordinfo.summary.sources`), and once the
views exist the connection is locked with DuckDB's own settings (:data:`READ_ONLY`): no external access
(``COPY ... TO``, ``ATTACH`` of a file, ``EXPORT``, extensions, reading any other file), no spilling to a
temporary directory, and ``lock_configuration``, so that no query can turn these back on. A query may still
make tables in memory.
"""

from __future__ import annotations

from ..errors import WordinfoError
from . import wordlists
from .sources import open_sources
from .sql import FORGETTING_SQL, POS_JOIN, SENTENCES_SQL, WORDS_SQL

# DuckDB settings that leave a connection nothing but its registered views and memory (duckdb.org/docs,
# "Securing DuckDB"); the last one makes them final
READ_ONLY = ("SET temp_directory = ''", "SET autoinstall_known_extensions = false",
             "SET autoload_known_extensions = false", "SET python_enable_replacements = false",
             "SET enable_external_access = false", "SET lock_configuration = true")


class Workspace:
    """A DuckDB connection with the views over the given sources (run directories, Runs, JSON files, Explanations)."""

    def __init__(self, sources, fraction: float = 0.5, pos: bool | str = False):
        import duckdb
        if not 0 < fraction < 1:
            raise WordinfoError(f"--fraction must be between 0 and 1, got {fraction}")
        self.sources = open_sources(sources)
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        self._lookup_tables()
        for i, src in enumerate(self.sources):
            src.register(self.con, f"src{i}")
        union = " UNION ALL BY NAME ".join(f"SELECT * FROM src{i}" for i in range(len(self.sources)))
        self.con.execute(f"CREATE VIEW tokens AS {union}")
        self.tagger = None
        if pos:
            self.tagger = wordlists.pos_tagger()
            if self.tagger is None and pos is True:
                raise WordinfoError("no part-of-speech tagger found: install spaCy with an English pipeline "
                                    "(en_core_web_sm) or NLTK with its tagger data, or drop --pos")
            if self.tagger is not None:
                self._tag()
        self.con.execute(WORDS_SQL.format(pos="p.pos" if self.tagger else "NULL::VARCHAR",
                                          join=POS_JOIN if self.tagger else ""))
        self.con.execute(SENTENCES_SQL)
        self.con.execute(FORGETTING_SQL.format(fraction=float(fraction)))
        for setting in READ_ONLY:
            self.con.execute(setting)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.con.close()

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    def query(self, sql: str):
        """A DataFrame; a DuckDB error becomes a one-line WordinfoError, a query that would write says so."""
        import duckdb
        if not isinstance(sql, str) or not sql.strip():
            raise WordinfoError('empty query: give one SQL query, e.g. "SELECT word, bits FROM words LIMIT 5" '
                                "(views: tokens, words, sentences, forgetting)")
        try:
            return self.con.execute(sql).df()
        except (duckdb.PermissionException, duckdb.InvalidInputException) as e:
            first = str(e).strip().splitlines()[0]
            if "disabled by configuration" not in first and "configuration has been locked" not in first:
                raise WordinfoError(f"query failed: {first} (views: tokens, words, sentences, forgetting)") from None
            raise WordinfoError(f"query refused: analysis only reads the runs ({first}); to save a result, use "
                                "--format csv > FILE, or summary -o DIR") from None
        except duckdb.Error as e:
            first = str(e).strip().splitlines()[0]
            raise WordinfoError(f"query failed: {first} (views: tokens, words, sentences, forgetting)") from None

    def _lookup_tables(self):
        import pyarrow as pa
        stops = sorted(wordlists.stop_words())
        lex = wordlists.lexicon()
        self.con.register("_stop", pa.table({"word": stops}))
        self.con.register("_lex", pa.table({"word": list(lex), "valence": list(lex.values())}))
        self.con.execute("CREATE TABLE stopwords AS SELECT * FROM _stop")
        self.con.execute("CREATE TABLE lexicon AS SELECT * FROM _lex")
        self.con.unregister("_stop")
        self.con.unregister("_lex")

    def _tag(self):
        """Tag every sentence's words once (first layer's rows) into the table pos_tags."""
        import pyarrow as pa
        _, tag = self.tagger
        self.con.execute("CREATE TABLE pos_tags (run VARCHAR, sentence BIGINT, word_index INTEGER, pos VARCHAR)")
        rel = self.con.sql("SELECT run, sentence, word_index, any_value(word) AS word FROM tokens "
                           "WHERE NOT special GROUP BY ALL ORDER BY run, sentence, word_index")
        stream = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader      # duckdb 2 / 1
        reader = stream(50_000)
        out = {"run": [], "sentence": [], "word_index": [], "pos": []}
        current, words = None, []

        def tag_sentence():
            if words:
                for (run, sentence, wi, _), p in zip(words, tag([w[3] for w in words])):
                    for key, v in zip(out, (run, sentence, wi, p)):
                        out[key].append(v)

        writer = self.con.cursor()      # its own cursor: a query on self.con would end the stream being read

        def store():          # in chunks, so that memory does not grow with the corpus
            writer.register("_pos", pa.table(out))
            writer.execute("INSERT INTO pos_tags SELECT * FROM _pos")
            writer.unregister("_pos")
            for v in out.values():
                v.clear()

        for batch in reader:
            for row in zip(*(batch.column(i).to_pylist() for i in range(4))):
                if (row[0], row[1]) != current:
                    tag_sentence()
                    current, words = (row[0], row[1]), []
                    if len(out["run"]) >= 50_000:
                        store()
                words.append(row)
        tag_sentence()
        store()
        writer.close()
