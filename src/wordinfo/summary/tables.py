"""The summary tables (``wordinfo summary``): pandas DataFrames computed in SQL over a Workspace.

:func:`summarize` opens a :class:`~wordinfo.summary.views.Workspace` and builds the
tables named in :data:`TABLES`; several runs come side by side (one column per run in
``layers``, a ``run`` column in the others). Each ``*_table(ws, value=..., top=...,
min_count=...)`` builds one of them from an open Workspace (the report uses
:func:`layer_table`). ``epochs`` (:func:`epoch_table`, information over training) is shown
only when some run carries an epoch (probe runs).
"""

from __future__ import annotations

from .. import values
from ..errors import WordinfoError
from .sql import quote
from .views import Workspace
from .wordlists import CATEGORIES

TABLES = ("layers", "epochs", "categories", "words", "forgetting", "forgetting_words", "pos", "matrix")


def summarize(sources, value: str = "kept", top: int = 10, min_count: int = 5, fraction: float = 0.5,
              pos: bool | str = "auto", tables=None) -> dict:
    """The summary tables as pandas DataFrames, by name (see TABLES); several runs side by side."""
    value = values.value(value, values.CORPUS_VALUES).name
    wanted = list(TABLES if tables is None else tables)
    for t in wanted:
        if t not in TABLES:
            raise WordinfoError(f"unknown table {t!r}: use one of {', '.join(TABLES)}")
    with Workspace(sources, fraction=fraction, pos=pos if "pos" in wanted else False) as ws:
        out = {}
        for name in wanted:
            if name == "pos" and ws.tagger is None:
                continue
            if name == "epochs" and tables is None and not _epochs(ws):
                continue                # no probe runs among the sources
            table = TABLE_FUNCS[name](ws, value=value, top=top, min_count=min_count)
            if name == "matrix" and tables is None and not several_from_layers(table):
                continue                # one input layer per model: the layers table says it all
            out[name] = table
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


def matrix_table(ws, **_):
    """What each layer keeps of each layer below it: per model, input layer A (``from_layer``; 0 = the input)
    and layer B, the mean bits B keeps of a word's state at A over every real word (special tokens left out)
    of every source of that model explained from A, with its standard error from the solver's error bars
    (``sqrt(sum se^2) / n``; NaN where none are known) and the word count. The one place for that rule:
    :func:`wordinfo.layer_matrix` and the report's matrix read it."""
    df = ws.query("""
        SELECT run, from_layer, layer, sum(kept) AS total, count(*) AS words,
               sum(bits_se * bits_se) FILTER (WHERE isfinite(bits_se)) AS var,
               count(*) FILTER (WHERE isfinite(bits_se)) AS with_se
        FROM words WHERE NOT special AND layer IS NOT NULL GROUP BY run, from_layer, layer""")
    import pandas as pd
    if df.empty:
        return pd.DataFrame(columns=["model", "from_layer", "layer", "kept", "kept_se", "words"])
    models = {src.name: src.manifest["model"]["name"] for src in ws.sources}
    df["model"] = df["run"].map(models)
    g = df.groupby(["model", "from_layer", "layer"], sort=False).agg(
        total=("total", "sum"), words=("words", "sum"), var=("var", "sum"), with_se=("with_se", "sum")).reset_index()
    g["kept"] = g["total"] / g["words"]
    g["kept_se"] = (g["var"] ** 0.5 / g["words"]).where(g["with_se"] > 0)
    order = {m: i for i, m in enumerate(dict.fromkeys(models.values()))}
    g = g.assign(_m=g["model"].map(order)).sort_values(["_m", "from_layer", "layer"], kind="stable")
    out = g[["model", "from_layer", "layer", "kept", "kept_se", "words"]].reset_index(drop=True)
    return out.astype({"from_layer": int, "layer": int, "words": int})


def epoch_table(source, value="kept", **_):
    """Information over training: per series (one training's probe runs, ``wordinfo train --probe`` or
    ``InformationCallback``), epoch and layer, the mean ``value`` per word (special tokens left out), its
    standard error over the words (``sd / sqrt(n)``), the part of that the solver's error bars make
    (``solver_se``, ``sqrt(sum se^2) / n``; NaN where none are known) and the word count; sorted by series
    (as given), epoch number (epoch-10 after epoch-9) and layer. ``source``: an open Workspace, or what one
    opens (run directories, a folder of them). Runs without an epoch are left out; none with one is an error."""
    if not isinstance(source, Workspace):
        with Workspace(source) as ws:
            return epoch_table(ws, value=value)
    value = values.value(value, values.CORPUS_VALUES).name
    epochs = _epochs(source)
    if not epochs:
        raise WordinfoError("none of these runs has an epoch: give the probe runs of `wordinfo train --probe` or "
                            "of wordinfo.integrations.InformationCallback (OUT/probe/epoch-*)")
    seen = {}
    for run, key in epochs.items():
        if key in seen:
            raise WordinfoError(f"{seen[key]} and {run} are both epoch {key[1]} of {key[0]}: give each epoch once, "
                                "and each training its own name (wordinfo train --out DIR, InformationCallback(name=))")
        seen[key] = run
    listed = ", ".join(quote(r) for r in epochs)
    df = source.query(f"""
        SELECT run, layer, avg({value}) AS v, stddev_samp({value}) AS sd, count(*) AS words,
               sum(bits_se * bits_se) FILTER (WHERE isfinite(bits_se)) AS var,
               count(*) FILTER (WHERE isfinite(bits_se)) AS with_se
        FROM words WHERE NOT special AND layer IS NOT NULL AND run IN ({listed}) GROUP BY run, layer""")
    order = {name: i for i, name in enumerate(dict.fromkeys(series for series, _ in epochs.values()))}
    df["series"] = df["run"].map(lambda r: epochs[r][0])
    df["epoch"] = df["run"].map(lambda r: epochs[r][1])
    df[f"{value}_se"] = df["sd"] / df["words"] ** 0.5
    df["solver_se"] = (df["var"] ** 0.5 / df["words"]).where(df["with_se"] > 0)
    df = df.rename(columns={"v": value}).assign(_s=df["series"].map(order))
    df = df.sort_values(["_s", "epoch", "layer"], kind="stable")
    out = df[["series", "epoch", "layer", value, f"{value}_se", "solver_se", "words"]]
    return out.astype({"epoch": int, "layer": int, "words": int}).reset_index(drop=True)


def _epochs(ws) -> dict:
    """``{run name: (series, epoch)}`` of the sources whose manifest has an epoch (probe runs)."""
    out = {}
    for src in ws.sources:
        epoch = src.manifest.get("epoch")
        if isinstance(epoch, int) and not isinstance(epoch, bool):
            probe = src.manifest.get("probe") if isinstance(src.manifest.get("probe"), dict) else {}
            out[src.name] = (str(probe.get("name") or src.manifest["model"]["name"]), epoch)
    return out


def several_from_layers(matrix) -> bool:
    """Whether a :func:`matrix_table` has some model explained from more than one input layer."""
    return not matrix.empty and bool((matrix.groupby("model")["from_layer"].nunique() > 1).any())


TABLE_FUNCS = {"layers": layer_table, "epochs": epoch_table, "categories": category_table, "words": word_table,
               "forgetting": forgetting_table, "forgetting_words": forgetting_words_table, "pos": pos_table,
               "matrix": matrix_table}


def _run_order(ws):
    return {n: i for i, n in enumerate(ws.names)}


def _sorted(ws, df, keys):
    if df.empty:
        return df.reset_index(drop=True)
    df = df.assign(_r=df["run"].map(_run_order(ws))).sort_values(["_r", *keys], kind="stable")
    return df.drop(columns=["_r"]).reset_index(drop=True)
