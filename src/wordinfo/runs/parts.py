"""A run's unit of work, the part: which rows are left to explain, and how a part becomes a Parquet table.

:func:`pending_parts` streams the rows not yet done as parts (consecutive sentences);
:func:`part_table` explains one part and gives its table, the one place a part is made,
whether in the run's own process (:class:`LocalParts`) or on a
Ray actor (:mod:`wordinfo.runs.cluster`).
"""

from __future__ import annotations

import bisect
import sys

from .. import corpus
from ..errors import WordinfoError
from ..pairs import length
from . import store


def pending_parts(spec, ranges, total: int, part_size: int):
    """The rows of the first ``total`` sentences not in ``ranges`` (done), as parts: lists of at most
    ``part_size`` rows of consecutive sentences."""
    starts = [a for a, _ in ranges]

    def done(i: int) -> bool:
        k = bisect.bisect_right(starts, i) - 1
        return k >= 0 and ranges[k][0] <= i <= ranges[k][1]

    pending: list = []
    for row in corpus.rows(spec):
        if row.sentence >= total:
            break
        if done(row.sentence):
            if pending:
                yield pending
            pending = []
            continue
        pending.append(row)
        if len(pending) >= part_size:
            yield pending
            pending = []
    if pending:
        yield pending


def part_table(job, rows: list, batch_size: int, run_many, tick=None):
    """One part's Parquet table: its rows explained in batches of similar length by ``run_many`` (``Job.run_many``
    or a pool's), ``tick(n)`` after each batch. The one place a part is made, in this process or on a Ray actor."""
    order = sorted(range(len(rows)), key=lambda i: length(rows[i].item))     # similar lengths share a batch
    results: dict = {}
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    answers = run_many([[rows[i].item for i in batch] for batch in batches])
    for batch in batches:
        try:
            results.update(zip(batch, next(answers)))
        except WordinfoError as e:
            first = rows[batch[0]]
            raise WordinfoError(f"sentence {first.sentence} (line {first.line}): {e}") from None
        if tick is not None:
            tick(len(batch))
    answers = [results[i] for i in range(len(rows))]
    exp = job.explanation([r.item for r in rows], answers)
    return store.rows_from_explanation(exp, [r.sentence for r in rows], [r.line for r in rows],
                                       [r.label for r in rows], [a.prediction for a in answers])


class LocalParts:
    """Parts explained one after another by this process."""

    def __init__(self, job, batch_size: int):
        self.job, self.batch_size = job, batch_size

    def part_size(self, requested: int, remaining: int) -> int:
        return requested

    def map(self, parts, bar=None):
        solver_bar = bar if bar is None or sys.stderr.isatty() else _Quiet(bar)

        def run_many(batches):
            return self.job.run_many(batches, solver_bar, predict=True)

        for rows in parts:
            yield rows, part_table(self.job, rows, self.batch_size, run_many, bar.update if bar is not None else None)


class _Quiet:
    """Hands the solver's step count to the bar without forcing a redraw (for logs, not terminals)."""

    def __init__(self, bar):
        self.bar = bar

    def set_postfix(self, refresh=True, **values):
        self.bar.set_postfix(refresh=False, **values)
