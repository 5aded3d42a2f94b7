"""One self-contained HTML report from runs and explanations: no network, every text escaped.

The page is a Jinja2 template with autoescape on; CSS and JavaScript are inlined from
the package's templates folder; the per-layer curves are inline SVG; the per-sentence
heatmaps are drawn in the browser from a JSON block (Jinja's ``tojson``, which escapes
``<``, ``>``, ``&`` and quotes, so no text can end the script element).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import WordinfoError
from ..files import check_writable, write_text
from ..summary import CATEGORIES, Workspace, layer_table, matrix_table, quote, several_from_layers
from ..values import VALUES
from .figures import figure_format as check_figure_format
from .figures import write_figures
from .style import COLORS, corpus_value, environment, num, value_name


def build_report(sources, out: str | Path, *, max_sentences: int = 500, value: str = "kept",
                 title: str | None = None, figures: str | Path | None = None, figure_format: str = "png") -> Path:
    """Write the report of ``sources`` (run directories, explain --json files, Runs or Explanations) to ``out``.

    At most ``max_sentences`` sentences per source get a heatmap and a row in the
    sentence list (the first ones); the curves and tables use every sentence.
    ``figures`` names a folder for paper figures (``figure_format`` png or svg).
    """
    value = corpus_value(value).name
    if not isinstance(max_sentences, int) or max_sentences < 1:
        raise WordinfoError(f"--max-sentences must be a whole number >= 1, got {max_sentences!r}")
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise WordinfoError(f"the report is an HTML file: give -o a name ending in .html, got {str(out)!r}")
    check_writable(out, "the report (-o)")            # before the work, not after it
    if figures is not None:
        check_figure_format(figure_format)
        check_writable(figures, "the figures folder (--png)", folder=True)
    with Workspace(sources) as ws:
        context = _context(ws, max_sentences, value, title)
        html = environment().get_template("report.html.j2").render(**context)
        if figures is not None:
            write_figures(ws, context, Path(figures), figure_format, value)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, html)
    return out


def _context(ws, max_sentences, value, title):
    runs = [_run_info(s) for s in ws.sources]
    curves = _curves(ws, value)
    sentences, heat = _sentences(ws, max_sentences)
    layers = layer_table(ws, value=value)
    counts = ws.query("SELECT run, count(DISTINCT sentence) AS n FROM tokens GROUP BY run")
    n_by_run = dict(zip(counts["run"], counts["n"]))
    for r in runs:
        r["sentences"] = int(n_by_run.get(r["name"], 0))
        r["shown"] = min(r["sentences"], max_sentences)
    return {
        "title": title or "wordinfo report: " + ", ".join(r["name"] for r in runs),
        "runs": runs, "curves": curves, "value": value, "value_name": value_name(value),
        "layer_columns": list(layers.columns), "layer_rows": layers.to_dict("records"),
        "sentences": sentences, "data": {"runs": [{"name": r["name"], "model": r["model"]} for r in runs],
                                         "sentences": heat},
        "categories": [c for c in ("all words", *CATEGORIES) if any(c in p["lines"] for p in curves["panels"])],
        "matrices": _matrices(ws),
        "colors": COLORS, "max_sentences": max_sentences,
    }


def _run_info(src) -> dict:
    m = src.manifest
    settings = m.get("settings", {})
    data = m.get("data") or {}
    return {
        "name": src.name, "model": m["model"]["name"], "fingerprint": m["model"].get("fingerprint"),
        "has_head": bool(m["model"].get("has_head")),
        "target": m.get("target"), "layers": ", ".join(m.get("layers", [])),
        "solver": settings.get("solver"), "lam": settings.get("lam"), "scale": settings.get("scale"),
        "data": Path(data["path"]).name if data.get("path") else "explain --json",
        "data_hash": data.get("hash"), "version": m.get("wordinfo_version"), "created": m.get("created"),
    }


# ---------------------------------------------------------------- the layer-by-layer matrix

def _matrices(ws) -> list[dict]:
    """Per model explained from several input layers A: rows from A, columns to B, mean bits kept ± its error,
    each cell shaded by its value within the model's matrix."""
    table = matrix_table(ws)
    if not several_from_layers(table):
        return []
    out = []
    for model, g in table.groupby("model", sort=False):
        if g["from_layer"].nunique() < 2:
            continue
        froms, tos = sorted(g["from_layer"].unique()), sorted(g["layer"].unique())
        lo, hi = float(g["kept"].min()), float(g["kept"].max())
        cells = {(int(r.from_layer), int(r.layer)): r for r in g.itertuples()}
        rows = []
        for a in froms:
            row = []
            for b in tos:
                r = cells.get((int(a), int(b)))
                if r is None:
                    row.append(None)
                    continue
                shade = 0.15 + 0.75 * ((float(r.kept) - lo) / (hi - lo) if hi > lo else 0.5)
                row.append({"kept": float(r.kept), "se": None if _missing(r.kept_se) else float(r.kept_se),
                            "words": int(r.words), "alpha": round(shade, 3)})
            rows.append({"from": "input" if a == 0 else f"layer {int(a)}", "cells": row})
        out.append({"model": model, "columns": [int(b) for b in tos], "rows": rows})
    return out


# ---------------------------------------------------------------- curves (inline SVG)

def _curves(ws, value):
    """Mean value per word category and layer, one panel per run, on one shared y scale."""
    df = ws.query(f"""
        SELECT run, layer, category, avg({value}) AS v, count(*) AS n FROM words
        WHERE layer IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT run, layer, 'all words' AS category, avg({value}) AS v, count(*) AS n FROM words
        WHERE layer IS NOT NULL GROUP BY ALL""")
    w, h, pad = 360, 220, {"l": 52, "r": 12, "t": 26, "b": 34}
    panels = []
    if df.empty:
        return {"panels": [], "width": w, "height": h}
    lo, hi = float(df["v"].min()), float(df["v"].max())
    if hi <= lo:
        hi = lo + 1.0
    margin = 0.05 * (hi - lo)
    lo, hi = lo - margin, hi + margin
    ticks = _ticks(lo, hi)
    for name in ws.names:
        d = df[df["run"] == name]
        if d.empty:
            continue
        layers = sorted(int(v) for v in d["layer"].unique())
        span = max(layers[-1] - layers[0], 1)

        def x(layer):
            return pad["l"] + (w - pad["l"] - pad["r"]) * ((layer - layers[0]) / span if len(layers) > 1 else 0.5)

        def y(v):
            return pad["t"] + (h - pad["t"] - pad["b"]) * (1 - (v - lo) / (hi - lo))

        lines = {}
        for cat in ("all words", *CATEGORIES):
            g = d[d["category"] == cat].sort_values("layer")
            if g.empty:
                continue
            pts = [{"x": round(x(int(r.layer)), 1), "y": round(y(float(r.v)), 1), "layer": int(r.layer),
                    "v": float(r.v), "n": int(r.n)} for r in g.itertuples()]
            lines[cat] = {"points": pts, "path": " ".join(f"{p['x']},{p['y']}" for p in pts)}
        panels.append({"run": name, "lines": lines,
                       "xticks": [{"x": round(x(v), 1), "label": v} for v in layers],
                       "yticks": [{"y": round(y(t), 1), "label": num(t)} for t in ticks]})
    return {"panels": panels, "width": w, "height": h, "pad": pad}


def _ticks(lo, hi, n=5):
    raw = (hi - lo) / n
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


# ---------------------------------------------------------------- sentences and heatmaps

def _sentences(ws, max_sentences):
    """The sentence list (one row per sentence, columns per run) and the heatmap data by sentence key."""
    parts = []
    for src in ws.sources:
        last = str(src.manifest["layers"][-1])
        parts.append(ws.query(f"""
            SELECT run, sentence, any_value(text) AS text, any_value(pair) AS pair, any_value(label) AS label,
                   any_value(prediction) AS prediction,
                   avg(kept) FILTER (WHERE NOT special) AS kept, count(*) FILTER (WHERE NOT special) AS words
            FROM words WHERE run = {quote(src.name)} AND layer_label = {quote(last)}
            GROUP BY run, sentence ORDER BY sentence LIMIT {int(max_sentences)}"""))
    import pandas as pd
    df = pd.concat(parts, ignore_index=True).sort_values(["sentence"], kind="stable")
    rows: dict = {}
    wanted: dict = {name: [] for name in ws.names}
    for r in df.itertuples():
        text = r.text if _missing(r.pair) else f"{r.text} ‖ {r.pair}"      # a sentence pair: both texts
        key = f"{r.sentence}:{_digest(text)}"
        row = rows.setdefault(key, {"key": key, "id": int(r.sentence), "text": text,
                                    "label": None if _missing(r.label) else str(r.label), "runs": {}})
        row["runs"][r.run] = {"kept": float(r.kept) if not _missing(r.kept) else None,
                              "prediction": None if _missing(r.prediction) else int(r.prediction),
                              "words": int(r.words)}
        wanted[r.run].append((int(r.sentence), key))
    heat: dict = {}
    for ri, src in enumerate(ws.sources):
        pairs = wanted[src.name]
        for start in range(0, len(pairs), 100):
            chunk = pairs[start:start + 100]
            exp = src.explanation([s for s, _ in chunk])
            for i, (_, key) in enumerate(chunk):
                heat.setdefault(key, {})[str(ri)] = _heat(exp, i)
    return list(rows.values()), heat


HEAT_DIGITS = {"kept": 1, "bits": 1, "centered": 3}        # the values the page's heatmaps switch between


def _heat(exp, i) -> dict:
    """One sentence's words-by-layers values, rounded for the page."""
    out = {"words": exp.words(i), "special": [bool(s) for s in exp.word_maps[i].special], "layers": exp.layers}
    for name, digits in HEAT_DIGITS.items():
        out[name] = _round(exp.word_values(VALUES[name].key, i), digits)
    out["kept_se"] = _round(exp.word_errors(VALUES["kept"].key, i), 1)
    return out


def _round(a, digits):
    return [[round(float(v), digits) if math.isfinite(float(v)) else None for v in row] for row in a]


def _digest(text: str) -> str:
    import hashlib
    return hashlib.blake2b(text.encode("utf-8"), digest_size=4).hexdigest()


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("<NA>", "nan", "NaT")

