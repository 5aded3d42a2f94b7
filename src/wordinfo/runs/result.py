"""A finished (or partly finished) run, opened for reading: SQL, summaries, explanations, reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import WordinfoError
from ..remote import arrow_path, location
from . import store


class Run:
    """The results in a run directory written by ``wordinfo run`` (or :func:`wordinfo.run_corpus`)."""

    def __init__(self, path: str | Path):
        self.path = location(path)
        if not self.path.is_dir():
            raise WordinfoError(f"run directory {str(self.path)!r} not found: give a directory written by "
                                "`wordinfo run`")
        self.manifest = store.read_manifest(self.path)
        self._checked = None

    # ---- what is there
    @property
    def name(self) -> str:
        return self.path.resolve().name

    @property
    def model(self) -> str:
        return self.manifest["model"]["name"]

    @property
    def layers(self) -> list[str]:
        return list(self.manifest["layers"])

    @property
    def total(self) -> int:
        """Sentences the run is meant to cover (the data rows, or the limit)."""
        rows, limit = self.manifest["data"]["rows"], self.manifest.get("limit")
        return rows if limit is None else min(rows, limit)

    @property
    def done(self) -> int:
        return sum(min(b, self.total - 1) - a + 1 for a, b in store.done_ranges(self.path) if a < self.total)

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    def files(self) -> list[Path]:
        return store.part_files(self.path)

    def verify(self):
        """Every part checked against its checksum (:func:`wordinfo.runs.integrity.verify`): a
        :class:`~wordinfo.runs.integrity.Verification` (``.ok``, ``.damaged``, ``.lines()``)."""
        from .integrity import verify
        self._checked = verify(self.path, self.manifest)
        return self._checked

    def check(self) -> None:
        """Refuse, in one line naming the part, to read a run with a damaged part (verified once per Run)."""
        (self._checked or self.verify()).raise_if_damaged()

    def __repr__(self) -> str:
        return (f"Run({str(self.path)!r}: {self.model}, layers {','.join(self.layers)}, "
                f"{self.done}/{self.total} sentences)")

    # ---- reading
    def sql(self, query: str):
        """Run DuckDB SQL over this run's views (tokens, words, sentences, forgetting); a pandas DataFrame."""
        from ..summary import Workspace  # notebook convenience: lazy import (docs/architecture.md)
        with Workspace([self]) as ws:
            return ws.query(query)

    def summary(self, **options) -> dict:
        """The summary tables (see :func:`wordinfo.summary.summarize`), as pandas DataFrames by name."""
        from ..summary import summarize  # notebook convenience: lazy import (docs/architecture.md)
        return summarize([self], **options)

    def sentence_ids(self, limit: int | None = None) -> list[int]:
        import pyarrow.parquet as pq
        ids: list[int] = []
        for f in self.files():
            where, fs = arrow_path(f)
            col = pq.read_table(where, columns=["sentence"], filesystem=fs).column("sentence").to_numpy()
            ids += sorted(set(col.tolist()))
            if limit is not None and len(ids) >= limit:
                return ids[:limit]
        return ids

    def explanation(self, sentences=None):
        """The :class:`~wordinfo.Explanation` of some sentences (numbers; default the first 10) from the Parquet."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from ..explanation import Explanation
        from ..words import WordMap

        self.check()
        wanted = self.sentence_ids(10) if sentences is None else [int(s) for s in np.atleast_1d(sentences)]
        files = _files_for(store.done_ranges(self.path), self.files(), wanted)
        found: dict[int, dict] = {}
        for f in files:
            where, fs = arrow_path(f)
            table = pq.read_table(where, filters=pc.field("sentence").isin(wanted), filesystem=fs)
            for sid, df in table.to_pandas().groupby("sentence", sort=False):
                found[int(sid)] = df
        missing = [s for s in wanted if s not in found]
        if missing:
            raise WordinfoError(f"sentence {missing[0]} is not in {self.path} (done: {self.done} of {self.total}): "
                                "give the number of an explained sentence")
        layers = self.layers
        texts, pairs, maps, sigma, steps, conv, se = [], [], [], [], [], [], []
        for s in wanted:
            df = found[s].sort_values(["position"], kind="stable")
            first = df[df["layer_label"] == layers[0]]
            words = first.drop_duplicates("word_index").sort_values("word_index")
            pair = first["pair"].iloc[0] if "pair" in first else None
            pair = pair if isinstance(pair, str) else None
            maps.append(WordMap(first["token"].tolist(), words["word"].tolist(), first["word_index"].tolist(),
                                words["special"].astype(bool).tolist(),
                                words["segment"].astype(int).tolist() if pair is not None else []))
            pairs.append(pair)
            by_layer = {k: g for k, g in df.groupby("layer_label")}
            sigma.append(np.stack([by_layer[k]["sigma"].to_numpy(float) for k in layers]))
            if "log_sigma_se" in df:
                se.append(np.stack([by_layer[k]["log_sigma_se"].to_numpy(float) for k in layers]))
            steps.append(np.array([int(by_layer[k]["steps"].iloc[0]) for k in layers]))
            conv.append(np.array([bool(by_layer[k]["converged"].iloc[0]) for k in layers]))
            texts.append(str(first["text"].iloc[0]))
        m = self.manifest
        return Explanation(m["model"]["name"], m["target"], layers, texts, maps, sigma, int(m["model"]["width"]),
                           float(m["settings"]["scale"]), steps, conv, m["settings"], se,
                           pairs if any(p is not None for p in pairs) else [])

    # ---- pictures
    def report(self, path: str | Path, **options) -> Path:
        """A self-contained HTML report of this run (see :func:`wordinfo.report.build_report`)."""
        from ..report import build_report  # notebook convenience: lazy import (docs/architecture.md)
        return build_report([self], path, **options)

    def _repr_html_(self) -> str:
        from ..report import run_html  # notebook convenience: lazy import (docs/architecture.md)
        return run_html(self)


def open_run(path: str | Path) -> Run:
    return Run(path)


def _files_for(ranges, files, wanted):
    """Only the parts whose sentence range holds a wanted sentence."""
    keep = []
    for (a, b), f in zip(ranges, files):
        if any(a <= s <= b for s in wanted):
            keep.append(f)
    return keep
