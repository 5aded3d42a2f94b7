"""The study's per-sentence statistics over a model's words table (:meth:`StudyData.words`).

Each function returns a pandas table indexed by sentence (``sid``) with one column per layer,
so that a finding can take a layer's column, subtract another model's (the same sentences),
and hand the columns to :mod:`wordinfo.study.intervals`. Special tokens ([CLS], [SEP]) are
left out unless a function says otherwise.

- :func:`mean_kept`: bits kept per word, the sentence's mean.
- :func:`log_sigma_gap`: mean log sigma of one set of words minus another's, within a sentence
  (positive: the first set is forgotten more). Within-sentence differences of log sigma are free
  of what a sentence shares (its length, its overall level), the per-sentence view docs/method.md advises.
- :func:`concentration`: 1 - the entropy of the sentence's normalised kept-bits distribution over
  its words divided by log(words): 0 when every word keeps the same, 1 when one word keeps all.
- :func:`autocorrelation`: the lag-1 autocorrelation of log sigma along the word order: high when
  neighbours are kept or forgotten together (information spread over neighbourhoods).
- :func:`forgetting_depth`: per word, the first depth l/L from which the word stays forgotten by a
  criterion (absolute: sigma at least half the bound; relative: at most half the bits of its best layer).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

CONTENT = ("other",)
FUNCTION = ("stop word",)
SENTIMENT = ("positive", "negative")
NEVER = 2.0            # the forgetting depth of a word still kept at the last layer (beyond depth 1)


def words_only(df: pd.DataFrame) -> pd.DataFrame:
    return df[~df["special"].astype(bool)]


def per_layer(df: pd.DataFrame, column: str, fn="mean") -> pd.DataFrame:
    """``fn`` of ``column`` per (sentence, layer): sentences as rows, layers as columns."""
    return df.groupby(["sid", "layer"])[column].agg(fn).unstack("layer")


def mean_kept(df: pd.DataFrame) -> pd.DataFrame:
    return per_layer(words_only(df), "kept")


def log_sigma_gap(df: pd.DataFrame, first: tuple, second: tuple) -> pd.DataFrame:
    w = words_only(df)
    a = per_layer(w[w["category"].isin(first)], "log_sigma")
    b = per_layer(w[w["category"].isin(second)], "log_sigma")
    return (a - b).reindex(per_layer(w, "log_sigma").index)


def concentration(df: pd.DataFrame) -> pd.DataFrame:
    def one(kept: pd.Series) -> float:
        k = np.clip(kept.to_numpy(float), 0, None)
        if len(k) < 2 or k.sum() <= 0:
            return math.nan
        p = k / k.sum()
        h = -np.sum(p[p > 0] * np.log(p[p > 0]))
        return float(1 - h / math.log(len(k)))
    return words_only(df).groupby(["sid", "layer"])["kept"].apply(one).unstack("layer")


def autocorrelation(df: pd.DataFrame, min_words: int = 4) -> pd.DataFrame:
    def one(g: pd.DataFrame) -> float:
        v = g.sort_values("word_index")["log_sigma"].to_numpy(float)
        if len(v) < min_words or np.ptp(v) == 0:
            return math.nan
        v = v - v.mean()
        return float(np.sum(v[1:] * v[:-1]) / np.sum(v * v))
    return words_only(df).groupby(["sid", "layer"])[["word_index", "log_sigma"]].apply(one).unstack("layer")


def forgetting_depth(df: pd.DataFrame, scale: float, criterion: str = "absolute",
                     fraction: float = 0.5) -> pd.DataFrame:
    """One row per (sentence, word): ``depth``, the first layer / L from which the word stays forgotten
    (:data:`NEVER` if it is kept at the last layer), with its word, category and whether it is special."""
    out = []
    layers = sorted(df["layer"].unique())
    top = max(layers)
    for (sid, wi), g in df.groupby(["sid", "word_index"], sort=False):
        g = g.set_index("layer").reindex(layers)
        if criterion == "absolute":
            gone = g["log_sigma"].to_numpy(float) >= math.log(scale * fraction)
        else:
            kept = g["kept"].to_numpy(float)
            gone = kept <= fraction * np.nanmax(kept)
        # the first layer from which every later layer is forgotten too
        tail = np.flip(np.cumprod(np.flip(gone)))
        first = int(np.argmax(tail)) if tail.any() else None
        depth = NEVER if first is None else layers[first] / top
        out.append({"sid": sid, "word_index": wi, "word": g["word"].dropna().iloc[0],
                    "category": g["category"].dropna().iloc[0], "special": bool(g["special"].dropna().iloc[0]),
                    "depth": depth})
    return pd.DataFrame(out)


def aligned(*tables: pd.DataFrame, layer=None) -> list[np.ndarray]:
    """The columns of ``tables`` (one layer each, default the last) on the sentences all of them share."""
    common = tables[0].index
    for t in tables[1:]:
        common = common.intersection(t.index)
    return [t.loc[common, t.columns.max() if layer is None else layer].to_numpy(float) for t in tables]
