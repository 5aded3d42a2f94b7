"""The HTML Jupyter shows for results: ``Explanation._repr_html_`` and ``Run._repr_html_``.

A fragment of the page (no script, every text escaped): what was run, the mean bits by
layer, and each sentence's words by layers, shaded by bits kept, values on hover.
"""

from __future__ import annotations

from ..summary import Workspace, layer_table
from ..values import VALUES
from .style import environment, plus_minus


def explanation_html(exp, max_sentences: int = 10) -> str:
    """An Explanation as HTML (words by layers, bits kept, values on hover): its ``_repr_html_``."""
    return _fragment(exp, range(min(len(exp), max_sentences)), more=max(len(exp) - max_sentences, 0))


def run_html(run, max_sentences: int = 3) -> str:
    """A Run as HTML: what was run, mean bits by layer, and its first sentences: its ``_repr_html_``."""
    m = run.manifest
    info = {"name": run.name, "model": run.model, "layers": ", ".join(run.layers), "done": run.done,
            "total": run.total, "complete": run.complete, "solver": m["settings"].get("solver"),
            "data": m["data"]["path"].rsplit("/", 1)[-1]}
    if not run.files():
        return environment().get_template("fragment.html.j2").render(
            run=info, layer_rows=[], layer_columns=[], sentences=[], more=0, scale=m["settings"].get("scale"))
    with Workspace([run]) as ws:
        layers = layer_table(ws)
    ids = run.sentence_ids(max_sentences)
    exp = run.explanation(ids)
    return _fragment(exp, range(len(ids)), ids=ids, more=max(run.done - len(ids), 0), run=info,
                     layer_columns=list(layers.columns), layer_rows=layers.to_dict("records"))


def _fragment(exp, indices, ids=None, more=0, run=None, layer_columns=(), layer_rows=()):
    kept_key, bits_key = VALUES["kept"].key, VALUES["bits"].key
    sentences = []
    for k, i in enumerate(indices):
        kept, bits = exp.word_values(kept_key, i), exp.word_values(bits_key, i)
        kept_se = exp.word_errors(kept_key, i)
        lo, hi = float(kept.min()), float(kept.max())
        words = [{"text": w, "special": bool(s)} for w, s in zip(exp.words(i), exp.word_maps[i].special)]
        rows = []
        for li, layer in enumerate(exp.layers):
            cells = []
            for wi, w in enumerate(words):
                s = (float(kept[li, wi]) - lo) / (hi - lo) if hi > lo else 0.5
                bg = f"rgb({round(240 - 210 * s)},{round(244 - 170 * s)},{round(255 - 90 * s)})"
                cells.append({"text": f"{kept[li, wi]:.0f}", "bg": bg, "fg": "#fff" if s > 0.6 else "#111",
                              "title": f"{w['text']} · layer {layer}: {kept[li, wi]:.1f}"
                                       f"{plus_minus(kept_se[li, wi])} bits kept, "
                                       f"H = {bits[li, wi]:.1f} bits"})
            rows.append({"layer": layer, "cells": cells})
        sentences.append({"id": ids[k] if ids is not None else (i if len(exp) > 1 else None), "text": exp.texts[i],
                          "words": words, "rows": rows, "layered": exp.target != "logits"})
    return environment().get_template("fragment.html.j2").render(
        run=run, layer_columns=list(layer_columns), layer_rows=list(layer_rows), sentences=sentences, more=more,
        scale=exp.scale)
