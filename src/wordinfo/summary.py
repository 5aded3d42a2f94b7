"""``wordinfo summary`` and ``wordinfo query``: DuckDB over one or more runs' Parquet parts.

A :class:`Workspace` opens runs (directories) and explanations (``explain --json``
files) side by side as SQL views, each row tagged with its ``run``:

- ``tokens``: one row per (run, sentence, layer, token), the Parquet columns;
- ``words``: one row per (run, sentence, layer, word): ``bits`` (entropy H, bits), ``kept``
  (bits kept relative to the bound), ``category`` (special, punctuation, positive,
  negative, stop word, other) and, when a tagger is installed and asked for, ``pos``;
- ``sentences``: one row per (run, sentence): text, label, prediction, counts;
- ``forgetting``: one row per (run, sentence, word): ``forgotten_at``, the first layer from
  which the word keeps at most ``fraction`` (default half) of its best layer's bits to
  the last explained layer (NULL: still kept at the last layer).

Sentiment-bearing words are the entries of the VADER lexicon shipped in the
``vaderSentiment`` package (positive or negative by the sign of their valence); stop
words are the bundled list ``wordinfo/data/stopwords.txt``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from .errors import WordinfoError

CATEGORIES = ("special", "punctuation", "stop word", "positive", "negative", "other")
VALUES = {"kept": "bits kept relative to the bound (higher = kept)", "bits": "entropy H in bits (higher = forgotten)"}
TABLES = ("layers", "categories", "words", "forgetting", "forgetting_words", "pos")


class Workspace:
    """A DuckDB connection with the views over the given sources (run directories, Runs, JSON files, Explanations)."""

    def __init__(self, sources, fraction: float = 0.5, pos: bool | str = False):
        import duckdb
        if not 0 < fraction < 1:
            raise WordinfoError(f"--fraction must be between 0 and 1, got {fraction}")
        self.sources = _open_sources(sources)
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        self._lookup_tables()
        for i, src in enumerate(self.sources):
            src.register(self.con, f"src{i}")
        union = " UNION ALL BY NAME ".join(f"SELECT * FROM src{i}" for i in range(len(self.sources)))
        self.con.execute(f"CREATE VIEW tokens AS {union}")
        self.tagger = None
        if pos:
            self.tagger = pos_tagger()
            if self.tagger is None and pos is True:
                raise WordinfoError("no part-of-speech tagger found: install spaCy with an English pipeline "
                                    "(en_core_web_sm) or NLTK with its tagger data, or drop --pos")
            if self.tagger is not None:
                self._tag()
        self.con.execute(_WORDS_SQL.format(pos="p.pos" if self.tagger else "NULL::VARCHAR",
                                           join=_POS_JOIN if self.tagger else ""))
        self.con.execute(_SENTENCES_SQL)
        self.con.execute(_FORGETTING_SQL.format(fraction=float(fraction)))

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
        """A DataFrame; a DuckDB error becomes a one-line WordinfoError."""
        import duckdb
        try:
            return self.con.execute(sql).df()
        except duckdb.Error as e:
            first = str(e).strip().splitlines()[0]
            raise WordinfoError(f"query failed: {first} (views: tokens, words, sentences, forgetting)") from None

    def _lookup_tables(self):
        import pyarrow as pa
        stops = sorted(stop_words())
        lex = lexicon()
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


_POS_JOIN = "LEFT JOIN pos_tags p USING (run, sentence, word_index)"

_WORDS_SQL = """
CREATE VIEW words AS
WITH w AS (
    SELECT run, sentence, layer, layer_label, word_index, any_value(word) AS word, bool_or(special) AS special,
           any_value(word_bits) AS bits, any_value(word_retained_bits) AS kept, count(*) AS pieces,
           any_value(label) AS label, any_value(prediction) AS prediction, any_value(text) AS text
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

_SENTENCES_SQL = """
CREATE VIEW sentences AS
SELECT run, sentence, any_value(line) AS line, any_value(text) AS text, any_value(label) AS label,
       any_value(prediction) AS prediction, count(DISTINCT position) AS tokens,
       count(DISTINCT word_index) AS words
FROM tokens GROUP BY run, sentence
"""

_FORGETTING_SQL = """
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


# ---------------------------------------------------------------- the summary tables

def summarize(sources, value: str = "kept", top: int = 10, min_count: int = 5, fraction: float = 0.5,
              pos: bool | str = "auto", tables=None) -> dict:
    """The summary tables as pandas DataFrames, by name (see TABLES); several runs side by side."""
    if value not in VALUES:
        raise WordinfoError(f"unknown --value {value!r}: use kept or bits")
    wanted = list(TABLES if tables is None else tables)
    for t in wanted:
        if t not in TABLES:
            raise WordinfoError(f"unknown table {t!r}: use one of {', '.join(TABLES)}")
    with Workspace(sources, fraction=fraction, pos=pos if "pos" in wanted else False) as ws:
        out = {}
        for name in wanted:
            if name == "pos" and ws.tagger is None:
                continue
            out[name] = _TABLE_FUNCS[name](ws, value=value, top=top, min_count=min_count)
        return out


def layer_table(ws, value="kept", **_):
    """Mean per word by layer; one column per run when there are several."""
    df = ws.query("""
        SELECT run, layer_label AS layer, any_value(layer) AS l, count(*) AS words,
               avg(bits) AS bits, avg(kept) AS kept
        FROM words GROUP BY run, layer_label ORDER BY l NULLS LAST, layer, run""")
    if len(ws.sources) == 1:
        return df.drop(columns=["run", "l"]).reset_index(drop=True)
    wide = df.pivot_table(index=["l", "layer"], columns="run", values=[value, "words"], sort=False)
    wide.columns = [f"{v} [{r}]" for v, r in wide.columns]
    wide = wide.reset_index().sort_values("l", kind="stable").drop(columns=["l"])
    for r in ws.names:
        if f"words [{r}]" in wide:
            wide[f"words [{r}]"] = wide[f"words [{r}]"].astype("Int64")
    cols = ["layer"] + [f"{v} [{r}]" for r in ws.names for v in (value, "words") if f"{v} [{r}]" in wide]
    return wide[cols]


def category_table(ws, value="kept", **_):
    """Mean per word of each category, by run and layer (columns: categories)."""
    df = ws.query(f"""
        SELECT run, layer_label AS layer, any_value(layer) AS l, category, avg({value}) AS v, count(*) AS n
        FROM words GROUP BY run, layer_label, category""")
    wide = df.pivot_table(index=["run", "l", "layer"], columns="category", values="v", sort=False)
    wide = wide.reindex(columns=[c for c in CATEGORIES if c in wide.columns]).reset_index()
    counts = df.groupby("category")["n"].sum() // max(df["layer"].nunique(), 1)
    wide.columns = [f"{c} (n={int(counts[c])})" if c in counts else c for c in wide.columns]
    return _sorted(ws, wide, ["l"]).drop(columns=["l"])


def word_table(ws, value="kept", top=10, min_count=5, **_):
    """The words most kept and most forgotten at each layer (mean over their occurrences, >= min_count)."""
    df = ws.query(f"""
        WITH m AS (
            SELECT run, layer_label AS layer, any_value(layer) AS l, lower(word) AS word, avg(kept) AS kept,
                   count(*) AS n
            FROM words GROUP BY run, layer_label, lower(word) HAVING count(*) >= {int(min_count)}),
        r AS (
            SELECT *, row_number() OVER (PARTITION BY run, layer ORDER BY kept DESC, word) AS hi,
                      row_number() OVER (PARTITION BY run, layer ORDER BY kept ASC, word) AS lo
            FROM m)
        SELECT a.run, a.layer, a.l, a.hi AS rank, a.word AS most_kept, a.kept AS kept, a.n AS n_kept,
               b.word AS most_forgotten, b.kept AS kept_forgotten, b.n AS n_forgotten
        FROM r a JOIN r b ON a.run = b.run AND a.layer = b.layer AND a.hi = b.lo
        WHERE a.hi <= {int(top)}""")
    return _sorted(ws, df, ["l", "rank"]).drop(columns=["l"])


def forgetting_table(ws, **_):
    """Per word category: how many words, the mean layer they are forgotten at, and the share forgotten at each."""
    df = ws.query("""
        SELECT run, category, forgotten_at, count(*) AS n FROM forgetting GROUP BY ALL""")
    if df.empty:
        return df
    rows = []
    last = ws.query("SELECT max(layer) AS m FROM tokens")["m"].iloc[0]
    layers = list(range(1, int(last) + 1)) if last == last and last is not None else []
    for (run, cat), g in df.groupby(["run", "category"], sort=False):
        total = int(g["n"].sum())
        gone = g.dropna(subset=["forgotten_at"])
        mean = float((gone["forgotten_at"] * gone["n"]).sum() / gone["n"].sum()) if len(gone) else float("nan")
        row = {"run": run, "category": cat, "words": total, "mean layer": mean,
               "kept to the end %": 100.0 * (total - int(gone["n"].sum())) / total}
        for layer in layers:
            row[f"L{layer} %"] = 100.0 * int(gone.loc[gone["forgotten_at"] == layer, "n"].sum()) / total
        rows.append(row)
    import pandas as pd
    out = pd.DataFrame(rows)
    out["_c"] = out["category"].map({c: i for i, c in enumerate(CATEGORIES)})
    return _sorted(ws, out, ["_c"]).drop(columns=["_c"])


def forgetting_words_table(ws, top=10, min_count=5, **_):
    """The most frequent words (>= min_count) and the layer each is forgotten at, on average."""
    df = ws.query(f"""
        WITH f AS (
            SELECT run, lower(word) AS word, any_value(category) AS category, count(*) AS n,
                   avg(forgotten_at) AS mean_layer, median(forgotten_at) AS median_layer,
                   100.0 * count(*) FILTER (WHERE forgotten_at IS NULL) / count(*) AS kept_to_end
            FROM forgetting GROUP BY run, lower(word) HAVING count(*) >= {int(min_count)})
        SELECT *, row_number() OVER (PARTITION BY run ORDER BY n DESC, word) AS rank FROM f
        QUALIFY rank <= {int(top) * 2}""")
    df = df.rename(columns={"mean_layer": "mean layer", "median_layer": "median layer",
                            "kept_to_end": "kept to the end %"})
    return _sorted(ws, df, ["rank"]).drop(columns=["rank"])


def pos_table(ws, value="kept", **_):
    """Mean per word of each part of speech (tagger's universal tags), by run and layer."""
    df = ws.query(f"""
        SELECT run, layer_label AS layer, any_value(layer) AS l, pos, avg({value}) AS v
        FROM words WHERE pos IS NOT NULL GROUP BY run, layer_label, pos""")
    wide = df.pivot_table(index=["run", "l", "layer"], columns="pos", values="v", sort=True).reset_index()
    return _sorted(ws, wide, ["l"]).drop(columns=["l"])


_TABLE_FUNCS = {"layers": layer_table, "categories": category_table, "words": word_table,
                "forgetting": forgetting_table, "forgetting_words": forgetting_words_table, "pos": pos_table}


def _run_order(ws):
    return {n: i for i, n in enumerate(ws.names)}


def _sorted(ws, df, keys):
    if df.empty:
        return df.reset_index(drop=True)
    df = df.assign(_r=df["run"].map(_run_order(ws))).sort_values(["_r", *keys], kind="stable")
    return df.drop(columns=["_r"]).reset_index(drop=True)


# ---------------------------------------------------------------- word lists and taggers

def stop_words() -> set[str]:
    text = resources.files("wordinfo.data").joinpath("stopwords.txt").read_text(encoding="utf-8")
    return {w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")}


def lexicon() -> dict[str, float]:
    """The VADER sentiment lexicon: word -> mean valence (-4..4)."""
    try:
        text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8",
                                                                                        errors="replace")
    except (ModuleNotFoundError, FileNotFoundError):
        raise WordinfoError("the sentiment lexicon is missing: pip install vaderSentiment") from None
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                out[parts[0].strip().lower()] = float(parts[1])
            except ValueError:
                continue
    return out


def pos_tagger():
    """(name, tag(words) -> universal tags) from spaCy or NLTK when one is installed with its model; else None."""
    try:
        import spacy
        from spacy.tokens import Doc
        for model in ("en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf"):
            try:
                nlp = spacy.load(model, disable=["parser", "ner", "lemmatizer"])
            except OSError:
                continue

            def tag(words, nlp=nlp):
                doc = nlp(Doc(nlp.vocab, words=list(words)))
                return [t.pos_ for t in doc]
            return f"spacy {model}", tag
    except ImportError:
        pass
    try:
        import nltk
        for res in ("taggers/averaged_perceptron_tagger_eng", "taggers/averaged_perceptron_tagger"):
            try:
                nltk.data.find(res)
                break
            except LookupError:
                continue
        else:
            return None
        try:
            nltk.data.find("taggers/universal_tagset")
            universal = True
        except LookupError:
            universal = False

        def tag(words):
            return [t for _, t in nltk.pos_tag(list(words), tagset="universal" if universal else None)]
        return "nltk", tag
    except ImportError:
        return None


# ---------------------------------------------------------------- sources

class _RunSource:
    def __init__(self, run, name):
        self.run, self.name = run, name
        self.manifest = run.manifest

    def register(self, con, view):
        files = self.run.files()
        if not files:
            raise WordinfoError(f"{self.run.path} has no results yet: let `wordinfo run` write at least one part")
        listed = ", ".join(_quote(str(f)) for f in files)
        con.execute(f"CREATE VIEW {view} AS SELECT {_quote(self.name)} AS run, * FROM read_parquet([{listed}])")


class _ExplanationSource:
    def __init__(self, exp, name):
        self.exp, self.name = exp, name
        self.manifest = {"model": {"name": exp.model}, "layers": exp.layers, "target": exp.target,
                         "settings": exp.settings}

    def register(self, con, view):
        from .runs.store import rows_from_explanation
        con.register(f"{view}_arrow", rows_from_explanation(self.exp))
        con.execute(f"CREATE VIEW {view} AS SELECT {_quote(self.name)} AS run, * FROM {view}_arrow")


def _open_sources(sources):
    from .explanation import Explanation
    from .runs.result import Run
    if isinstance(sources, (str, Path, Run, Explanation)):
        sources = [sources]
    sources = list(sources)
    if not sources:
        raise WordinfoError("no run given: name at least one run directory or explain --json file")
    out, seen = [], {}
    for s in sources:
        base = None
        if isinstance(s, (str, Path)):
            p = Path(s)
            if p.is_dir():
                s = Run(p)
            elif p.is_file():
                try:
                    s = Explanation.from_dict(json.loads(p.read_text()))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError, UnicodeDecodeError):
                    raise WordinfoError(f"{str(p)!r} is not an explain --json file: give a run directory or the "
                                        "output of `wordinfo explain --json`") from None
                base = p.stem
            else:
                raise WordinfoError(f"{str(p)!r} not found: give a run directory or an explain --json file")
        if isinstance(s, Run):
            base = s.name
        elif isinstance(s, Explanation):
            base = base or s.model
        else:
            raise WordinfoError(f"cannot read {type(s).__name__}: give run directories or explain --json files")
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}#{seen[base]}"
        out.append(_RunSource(s, name) if isinstance(s, Run) else _ExplanationSource(s, name))
    return out


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------- output

def render(tables: dict, fmt: str = "table", out_dir: Path | None = None, echo=print) -> list[Path]:
    """Print (or write to ``out_dir``, one file per table) as a terminal table, CSV, JSON or Markdown."""
    fmt = fmt.lower()
    if fmt not in ("table", "csv", "json", "markdown"):
        raise WordinfoError(f"unknown --format {fmt!r}: use table, csv, json or markdown")
    written = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        ext = {"table": "txt", "csv": "csv", "json": "json", "markdown": "md"}[fmt]
        for name, df in tables.items():
            path = out_dir / f"{name}.{ext}"
            path.write_text(_one(df, fmt, name) + ("\n" if fmt != "csv" else ""))
            written.append(path)
        return written
    if fmt == "json":
        echo(json.dumps({n: _records(df) for n, df in tables.items()}, indent=1))
    elif fmt == "table":
        _rich(tables)
    else:
        for i, (name, df) in enumerate(tables.items()):
            if len(tables) > 1:
                echo(("\n" if i else "") + (f"## {name}\n" if fmt == "markdown" else f"# {name}"))
            echo(_one(df, fmt, name).rstrip("\n"))
    return written


def _one(df, fmt, name):
    if fmt == "csv":
        return df.to_csv(index=False, float_format="%.4g")
    if fmt == "json":
        return json.dumps(_records(df), indent=1)
    if fmt == "markdown":
        return _markdown(df)
    import io

    from rich.console import Console
    buf = io.StringIO()
    Console(file=buf, width=200, no_color=True).print(_rich_table(name, df))
    return buf.getvalue()


def _records(df):
    return json.loads(df.to_json(orient="records", double_precision=6))


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if v != v else (f"{v:.1f}" if abs(v) >= 10 else f"{v:.3g}")
    return "" if v is None else str(v)


def _markdown(df) -> str:
    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def _rich_table(name, df):
    from rich.markup import escape
    from rich.table import Table
    t = Table(title=name, title_justify="left")
    for c in df.columns:
        t.add_column(escape(str(c)), justify="right" if df[c].dtype.kind in "fiu" else "left")
    for row in df.itertuples(index=False):
        t.add_row(*(escape(_cell(v)) for v in row))
    return t


def _rich(tables):
    from rich.console import Console
    console = Console()
    for name, df in tables.items():
        console.print(_rich_table(name, df))
