"""Corpus runs on a Ray cluster (:mod:`wordinfo.cluster`): one actor per worker slot holds the model and explains
whole parts.

Nothing of a run's guarantees moves to the cluster: the actors return each part as an Arrow
table and **the driver alone writes the run directory** (the manifest, the lock, each part by
an atomic rename), so the nodes need no shared disk and a part is on disk once or not at all.
An actor rebuilds the job from its recipe (:func:`wordinfo.job.rebuild`: the model loaded by
name, path or Hub id, the driver's sigma_S and settings) and checks its weights' fingerprint
against the manifest's; the model must be reachable by the same name or path on every node (a
Hub id, a shared directory, or a copy at the same path). A killed actor is restarted and its
part redone; a killed driver leaves whole parts, and the same command resumes.
"""

from __future__ import annotations

from ..cluster import OnRay
from ..pool import JobActor, job_actors
from .parts import part_table

PARTS_PER_ACTOR = 4


class RayParts(OnRay):
    """Parts explained by Ray actors, in any order: a context manager that connects and starts the actors.

    ``map(parts, bar)`` yields ``(rows, table)`` per part as the actors finish them (the run's
    main loop, :func:`wordinfo.runs.runner._explain_parts`, writes each)."""

    def __init__(self, job, batch_size: int, ray_option=True, actors: int | None = None,
                 fingerprint: str | None = None, log=None):
        self.job, self.batch_size = job, batch_size
        self.wanted, self.fingerprint = actors, fingerprint
        super().__init__(ray_option, log)

    def start_actors(self) -> None:
        job_actors(self.cluster, self.job, self.wanted, PartExplainer, self.fingerprint)

    def part_size(self, requested: int, remaining: int) -> int:
        """At most ``requested``, and small enough that every actor gets :data:`PARTS_PER_ACTOR` parts of what is
        left (sentences differ in cost: more, smaller parts even out the end of a short run)."""
        share = -(-remaining // (PARTS_PER_ACTOR * len(self.actors)))
        size = max(1, min(requested, share))
        if size < requested:
            self.log(f"ray: parts of {size} sentences, so that all {len(self.actors)} actors have work")
        return size

    def map(self, parts, bar=None):
        def describe(rows):
            return f"sentences {rows[0].sentence}-{rows[-1].sentence}"

        for rows, table in self.cluster.map("explain", parts, describe, self.batch_size):
            if bar is not None:
                bar.update(len(rows))
            yield rows, table


class PartExplainer(JobActor):
    """A Ray actor: the job rebuilt once (:class:`~wordinfo.cluster.JobActor`), then whole parts explained
    (:func:`wordinfo.runs.parts.part_table`)."""

    def explain(self, rows: list, batch_size: int):
        with self.job.encoder.frozen():
            return part_table(self.job, rows, batch_size, lambda batches: self.job.run_many(batches, predict=True))
