"""One finding of the study: what the paper says, what we measured (with intervals), and a verdict.

Each finding is a :class:`Finding` subclass in ``study/findings/``, one a file, listed in
``findings/__init__.py``'s registry (which also feeds ``wordinfo study --findings``). A finding's
``measure(data)`` reads what the study prepared (:class:`wordinfo.study.data.StudyData`: the
models, their corpus runs, the accuracy table) and returns a :class:`Result`: the rows of
"we measured" (each an :class:`~wordinfo.study.intervals.Interval` with what it is), tables,
figures and the verdict with its reason. Results are plain JSON, saved per finding, so a
study that stops is resumed finding by finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .intervals import Interval

VERDICTS = ("holds", "does not hold", "mixed", "cannot test here")


@dataclass
class Measured:
    """One number of "we measured": what it is, its interval, and what it rests on."""
    what: str
    interval: Interval
    unit: str = ""

    def to_dict(self) -> dict:
        return {"what": self.what, "unit": self.unit, **self.interval.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "Measured":
        num = lambda v: math.nan if v is None else float(v)        # NaN is saved as null
        return cls(d["what"], Interval(num(d["estimate"]), num(d["low"]), num(d["high"]), int(d["n"])),
                   d.get("unit", ""))


@dataclass
class Result:
    id: str
    title: str
    paper: str
    measured: list[Measured]
    verdict: str
    why: str
    tables: dict = field(default_factory=dict)      # name -> {"columns": [...], "rows": [[...], ...]}
    figures: list[str] = field(default_factory=list)  # paths relative to the study directory
    how: str = ""                                   # what was measured, in a sentence or two
    seconds: float = 0.0

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise AssertionError(f"verdict {self.verdict!r} is not one of {VERDICTS}")

    @property
    def finite(self) -> bool:
        """Every interval of a finding that could be tested is a number (the quick study's test)."""
        return all(m.interval.finite for m in self.measured)

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "paper": self.paper, "how": self.how,
                "measured": [m.to_dict() for m in self.measured], "verdict": self.verdict, "why": self.why,
                "tables": self.tables, "figures": self.figures, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        return cls(d["id"], d["title"], d["paper"], [Measured.from_dict(m) for m in d["measured"]], d["verdict"],
                   d["why"], d.get("tables", {}), d.get("figures", []), d.get("how", ""), d.get("seconds", 0.0))


class Finding:
    """Subclasses set ``id``, ``title``, ``paper`` (the paper's claim, restated) and implement ``measure``."""
    id: str = ""
    title: str = ""
    paper: str = ""

    def measure(self, data) -> Result:
        raise NotImplementedError

    def result(self, measured: list[Measured], verdict: str, why: str, **extra) -> Result:
        return Result(self.id, self.title, self.paper, measured, verdict, why, **extra)


def table(columns: list[str], rows: list[list]) -> dict:
    """A table for study.md/html: numbers rounded for reading (NaN shown as a dash)."""
    def cell(v):
        if isinstance(v, float):
            return None if math.isnan(v) else round(v, 4)
        if isinstance(v, Interval):
            return v.text()
        return v
    return {"columns": list(columns), "rows": [[cell(v) for v in r] for r in rows]}


def verdict_of(checks: list[bool]) -> str:
    """All of a finding's checks hold: 'holds'; none: 'does not hold'; some: 'mixed'."""
    if not checks:
        return "cannot test here"
    if all(checks):
        return "holds"
    return "does not hold" if not any(checks) else "mixed"
