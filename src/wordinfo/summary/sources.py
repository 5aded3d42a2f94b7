"""The sources a Workspace reads: run directories, Runs, ``explain --json`` files and Explanations.

:func:`open_sources` turns what a user gives into a list of sources, each with a
unique ``name`` (the run's name, the JSON file's stem or the model, ``#2`` for repeats),
its ``manifest``, ``register(con, view)`` (the source as a DuckDB view, tagged with its
name in the ``run`` column) and ``explanation(ids)`` (the Explanation of some sentences).
A layer matrix (:class:`~wordinfo.layer_matrix.LayerMatrix`, or its ``explain --from-layer all
--json`` file) is one source per layer A it was explained from. A folder that is not a run but
holds runs (``OUT/probe``, the probe runs of a training) is those runs, in natural order
(epoch-2 before epoch-10).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import WordinfoError
from ..files import read_json
from ..remote import RemotePath, arrow_path, location
from .sql import quote

# columns added by later run formats, and what an older part means by their absence
LATER_COLUMNS = {"pair": "NULL::VARCHAR", "segment": "0::INTEGER", "from_layer": "0::INTEGER"}


class RunSource:
    """A run directory: its Parquet parts."""

    def __init__(self, run, name):
        self.run, self.name = run, name
        self.manifest = run.manifest

    def register(self, con, view):
        """The parts as a view, read by pyarrow (a dataset: streamed, columns and filters pushed down), so that
        the connection itself needs no file access (the Workspace turns it off); a damaged part is refused."""
        self.run.check()
        files = self.run.files()
        if not files:
            raise WordinfoError(f"{self.run.path} has no results yet: let `wordinfo run` write at least one part")
        import pyarrow.dataset as ds
        where = [arrow_path(f) for f in files]
        parts = ds.dataset([w for w, _ in where], format="parquet", filesystem=where[0][1])
        have = set(parts.schema.names)
        later = "".join(f", {v} AS {k}" for k, v in LATER_COLUMNS.items() if k not in have)
        con.register(f"{view}_parts", parts)
        con.execute(f"CREATE VIEW {view} AS SELECT {quote(self.name)} AS run, *{later} FROM {view}_parts")

    def explanation(self, ids):
        return self.run.explanation(ids)


class ExplanationSource:
    """An Explanation in memory (or loaded from an explain --json file): its rows as an Arrow table."""

    def __init__(self, exp, name):
        self.exp, self.name = exp, name
        self.manifest = {"model": {"name": exp.model}, "layers": exp.layers, "target": exp.target,
                         "settings": exp.settings}

    def register(self, con, view):
        from ..runs.store import rows_from_explanation
        con.register(f"{view}_arrow", rows_from_explanation(self.exp))
        con.execute(f"CREATE VIEW {view} AS SELECT {quote(self.name)} AS run, * FROM {view}_arrow")

    def explanation(self, ids):
        return self.exp.select(ids)


def open_sources(sources) -> list:
    """RunSources and ExplanationSources, uniquely named, for run directories, JSON files, Runs, Explanations and
    layer matrices (one source per layer A, named ``NAME:fromA``)."""
    # inside the function: Explanation and Run bring torch and pyarrow, which `import wordinfo.summary` need not load
    from ..explanation import Explanation
    from ..runs.result import Run
    if isinstance(sources, (str, Path, RemotePath, Run, Explanation)) or _is_matrix(sources):
        sources = [sources]
    sources = [r for s in sources for r in _runs_in(s)]
    if not sources:
        raise WordinfoError("no run given: name at least one run directory or explain --json file")
    out, seen = [], {}
    for s in sources:
        base = None
        if isinstance(s, (str, Path, RemotePath)):
            p = location(s)
            if p.is_dir():
                s = Run(p)
            elif p.is_file():
                d = read_json(p, "explain --json file", "give a run directory or the output of `wordinfo explain "
                              "--json`")
                s = d if isinstance(d, dict) and "mean_bits_kept" in d else Explanation.from_dict(d, str(p))
                base = p.stem
            else:
                raise WordinfoError(f"{str(p)!r} not found: give a run directory or an explain --json file")
        matrix = matrix_explanations(s)
        if matrix is not None:          # a layer matrix: one source per layer A
            out += [ExplanationSource(e, _unique(f"{base or e.model}:from{a}", seen)) for a, e in matrix]
            continue
        if isinstance(s, Run):
            base = s.name
        elif isinstance(s, Explanation):
            base = base or s.model
        else:
            raise WordinfoError(f"cannot read {type(s).__name__}: give run directories or explain --json files")
        name = _unique(base, seen)
        out.append(RunSource(s, name) if isinstance(s, Run) else ExplanationSource(s, name))
    return out


def _runs_in(source) -> list:
    """A folder without a manifest whose subfolders are runs: those subfolders, in natural order; else ``[source]``."""
    if not isinstance(source, (str, Path, RemotePath)):
        return [source]
    p = location(source)
    if not p.is_dir() or (p / "manifest.json").exists():
        return [source]
    runs = [c for c in p.iterdir() if c.is_dir() and (c / "manifest.json").is_file()]
    return sorted(runs, key=lambda c: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", c.name)]) or [source]


def _unique(base: str, seen: dict) -> str:
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}#{seen[base]}"


def _is_matrix(obj) -> bool:
    """A LayerMatrix (duck-typed: this module sits below wordinfo.layer_matrix, which reads through it)."""
    return isinstance(getattr(obj, "explanations", None), dict) and hasattr(obj, "bits")


def matrix_explanations(obj):
    """``[(A, Explanation)]`` of a LayerMatrix (or of its JSON), in order of A; None for anything else."""
    from ..explanation import Explanation
    if _is_matrix(obj):
        if not obj.explanations:
            raise WordinfoError("this layer matrix keeps no explanations: make it with wordinfo.layer_matrix")
        return sorted(obj.explanations.items())
    if isinstance(obj, dict) and "mean_bits_kept" in obj:
        held = obj.get("explanations", {})
        if not isinstance(held, dict) or not all(str(a).isdigit() for a in held):
            raise WordinfoError("the layer matrix file's 'explanations' must map layer numbers to explanations: "
                                "write it with `wordinfo explain --from-layer all --json`")
        items = sorted((int(a), e) for a, e in held.items())
        if not items:
            raise WordinfoError("the layer matrix file holds no explanations: write it with "
                                "`wordinfo explain --from-layer all --json`")
        return [(a, Explanation.from_dict(e, f"the layer matrix's explanation from layer {a}")) for a, e in items]
    return None
