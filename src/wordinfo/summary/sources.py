"""The sources a Workspace reads: run directories, Runs, ``explain --json`` files and Explanations.

:func:`open_sources` turns what a user gives into a list of sources, each with a
unique ``name`` (the run's name, the JSON file's stem or the model, ``#2`` for repeats),
its ``manifest``, ``register(con, view)`` (the source as a DuckDB view, tagged with its
name in the ``run`` column) and ``explanation(ids)`` (the Explanation of some sentences).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import WordinfoError
from .sql import quote


class RunSource:
    """A run directory: its Parquet parts."""

    def __init__(self, run, name):
        self.run, self.name = run, name
        self.manifest = run.manifest

    def register(self, con, view):
        files = self.run.files()
        if not files:
            raise WordinfoError(f"{self.run.path} has no results yet: let `wordinfo run` write at least one part")
        listed = ", ".join(quote(str(f)) for f in files)
        con.execute(f"CREATE VIEW {view} AS SELECT {quote(self.name)} AS run, * FROM read_parquet([{listed}])")

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
    """RunSources and ExplanationSources, uniquely named, for run directories, JSON files, Runs and Explanations."""
    # inside the function: Explanation and Run bring torch and pyarrow, which `import wordinfo.summary` need not load
    from ..explanation import Explanation
    from ..runs.result import Run
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
        out.append(RunSource(s, name) if isinstance(s, Run) else ExplanationSource(s, name))
    return out
