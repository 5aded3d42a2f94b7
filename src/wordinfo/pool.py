"""A prepared job on Ray actors: :class:`JobActor` holds the job rebuilt from its recipe, :class:`RayPool` gives
``explain(workers=N)`` and the benchmark their batches' answers in order (:mod:`wordinfo.cluster` connects
and hands the batches out). Each actor loads the model again by name or path and takes the driver's
sigma_S, so every actor gives the answers the driver would with one thread; the noise of a sentence is
keyed by its content, so batches can go to any actor in any order.
"""

from __future__ import annotations

import os

from .cluster import OnRay, RayCluster, absolute_paths, check_ray, check_workers, node, passed_env
from .errors import WordinfoError


class JobActor:
    """A Ray actor holding a :class:`~wordinfo.job.Job` rebuilt from its recipe (:func:`wordinfo.job.rebuild`: the
    model loaded by name, path or Hub id, the driver's sigma_S and settings), its weights checked against the
    driver's fingerprint; one thread on a CPU."""

    def __init__(self, recipe: dict, feature_stds, settings: dict, fingerprint: str | None, env: dict):
        os.environ.update(env)
        import torch

        from .job import rebuild
        cpu = torch.device(recipe.get("device") or "cpu").type == "cpu"
        self.job = rebuild(recipe, feature_stds, settings, threads=1 if cpu else None)
        if fingerprint is not None and self.job.encoder.fingerprint() != fingerprint:
            raise WordinfoError(f"the model {recipe['model']!r} on this node has other weights than the driver's: "
                                "give every node the same copy")

    def ready(self) -> tuple[str, str]:
        return node()

    def pid(self) -> int:
        return os.getpid()

    def run(self, texts: list, predict: bool = False) -> list:
        with self.job.encoder.frozen():
            return self.job.run(texts, predict=predict)

    def solve(self, texts: list, solver: str, options: dict):
        with self.job.encoder.frozen():
            problem, _ = self.job.problem(texts)
            return self.job.solve(problem, solver=solver, **options)


def job_actors(cluster: "RayCluster", job, count: int | None, actor_class=None, fingerprint: str | None = None):
    """Start ``count`` actors of ``actor_class`` (a :class:`JobActor`) holding ``job`` on ``cluster``."""
    stds = None if job.feature_stds is None else [s.cpu() for s in job.feature_stds]
    return cluster.start(actor_class or JobActor, (absolute_paths(job.recipe), stds, job.settings, fingerprint,
                                                   passed_env()), count, gpu=job.device.type == "cuda")


class RayPool(OnRay):
    """``workers`` Ray actors holding the same job as ``job`` (a context manager; on this machine by default).

    ``run_many(batches)`` yields, in order, what ``Job.run`` gives for each batch of texts;
    ``solve(batches, solver)`` each batch's raw solver answer (for the benchmark)."""

    def __init__(self, job, workers: int | None = 2, option=True, log=None):
        """``workers`` None: one actor per CPU (or GPU) of the cluster at ``option`` (:mod:`wordinfo.cluster`)."""
        check_ray(option, job)
        if workers is not None:
            check_workers(workers, job)
        self.job, self.workers = job, workers
        super().__init__(option, log)

    def start_actors(self) -> None:
        job_actors(self.cluster, self.job, self.workers)
        self.workers = len(self.actors)

    def pids(self) -> list[int]:
        return self.ray.get([a.pid.remote() for a in self.cluster.actors])

    @property
    def ray(self):
        return self.cluster.ray

    def run_many(self, batches, bar=None, predict: bool = False):
        """As :meth:`Job.run_many`; the actors tick no bar of their own (``bar`` is for the same call shape)."""
        return self._in_order("run", batches, predict)

    def solve(self, batches, solver: str, **options):
        return self._in_order("solve", batches, solver, options)

    def _in_order(self, method, batches, *args):
        numbered = enumerate(batches)
        done, next_index = {}, 0
        for (i, _), result in self.cluster.map(method, ((i, b) for i, b in numbered), lambda item: f"batch {item[0]}",
                                               *args, unpack=True):
            done[i] = result
            while next_index in done:
                yield done.pop(next_index)
                next_index += 1
