"""Corpus runs on a Ray cluster: one actor per worker slot holds the model and explains whole parts.

Why Ray: it is the engine a cluster in this field already runs (``ray start``), it restarts a
lost worker and retries its task, and its actors keep a loaded model between parts. Nothing
of wordinfo's own guarantees moves to the cluster: the actors return each part as an Arrow
table and **the driver alone writes the run directory** (the manifest, the lock, each part by
an atomic rename), so the nodes need no shared disk and a part is on disk once or not at all.

* ``ray=True`` (``--ray``) starts a local Ray instance sized to the machine (or uses the one
  this process already has); ``ray="HOST:PORT"`` (``--ray ADDRESS``) joins a running cluster
  (``ray start --head`` on one machine, ``ray start --address=HOST:PORT`` on the others);
  ``"auto"`` joins the cluster this machine belongs to.
* An actor rebuilds the job from its recipe (:func:`wordinfo.job.rebuild`: the model loaded by
  name, path or Hub id, the driver's sigma_S and settings), checks its weights' fingerprint
  against the driver's, and takes one CPU and one thread (``num_cpus=1``), or one GPU
  (``num_gpus=1``) for a CUDA job. The model must be reachable by the same name or path on
  every node (a Hub id, a shared directory, or a copy at the same path).
* Faults: an actor process that dies is restarted by Ray (``max_restarts=-1``) and its part
  retried (``max_task_retries``); the part is written when its table arrives, so nothing is
  lost or doubled. A driver that dies leaves whole parts: the same command resumes.
* Two parts are queued on each actor, so an actor never waits for the driver between parts;
  the driver's bar counts sentences as parts arrive, with the rate and ETA across the cluster.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..errors import WordinfoError

MAX_TASK_RETRIES = 3        # a part that kills its actor this many times in a row ends the run, naming the part
QUEUED_PER_ACTOR = 2
# what an actor's process must see as the driver does (Ray's worker processes do not inherit it on other nodes)
PASSED_ENV = ("HF_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT", "WORDINFO_CACHE")


def ray_module():
    """``ray``, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise WordinfoError('Ray is not installed: pip install "wordinfo[ray]" (or drop --ray)') from None
    return ray


def check_ray(ray_option, job) -> None:
    """Fail early, before any long work: Ray missing, or a job that actors cannot rebuild (a model object)."""
    ray_module()
    if job.recipe is None:
        raise WordinfoError("Ray actors load the model again by name: pass a model directory, a Hub id or None "
                            "(the bundled MiniLM), not a loaded model object")
    if not isinstance(ray_option, (bool, str)) or ray_option is False or (isinstance(ray_option, str)
                                                                         and not ray_option.strip()):
        raise WordinfoError(f"ray must be True (a local instance), 'auto' or a cluster address HOST:PORT, "
                            f"got {ray_option!r}")


class RayParts:
    """Parts explained by Ray actors, in any order: a context manager that connects and starts the actors.

    ``map(parts, bar)`` yields ``(rows, table)`` per part as the actors finish them (the run's
    main loop, :func:`wordinfo.runs.runner._explain_parts`, writes each)."""

    def __init__(self, job, batch_size: int, ray_option=True, actors: int | None = None,
                 fingerprint: str | None = None, log=None):
        self.job, self.batch_size, self.option = job, batch_size, ray_option
        self.wanted, self.fingerprint, self.log = actors, fingerprint, log or (lambda m: None)
        self.ray = ray_module()
        self.actors, self.started_ray = [], False

    # ---- connect, start the actors, stop them
    def __enter__(self) -> "RayParts":
        ray = self.ray
        if not ray.is_initialized():
            local = self.option is True or str(self.option).lower() == "local"
            try:
                if local:
                    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                             logging_level=logging.WARNING, object_store_memory=512 * 1024 ** 2)
                else:
                    ray.init(address=str(self.option), log_to_driver=False, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise WordinfoError(f"cannot reach the Ray cluster at {self.option!r} ({str(e).splitlines()[0]}): "
                                    "start it with `ray start --head`, or give --ray alone for a local one") from None
            self.started_ray = True
        try:
            self._start_actors()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.actors = []
        if self.started_ray:
            self.ray.shutdown()
            self.started_ray = False

    def _start_actors(self) -> None:
        ray, job = self.ray, self.job
        gpu = job.device.type == "cuda"
        resources = ray.cluster_resources()
        slots = int(resources.get("GPU" if gpu else "CPU", 0))
        count = self.wanted or slots
        if count < 1 or count > slots:
            what = "GPUs" if gpu else "CPUs"
            raise WordinfoError(f"the Ray cluster has {slots} {what} but {count} actor(s) were asked for: "
                                f"give --workers 1..{slots}, or add nodes (ray start --address=...)")
        stds = None if job.feature_stds is None else [s.cpu() for s in job.feature_stds]
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        remote = ray.remote(PartExplainer).options(
            num_cpus=1, num_gpus=1 if gpu else 0, max_restarts=-1, max_task_retries=MAX_TASK_RETRIES)
        recipe = _absolute_paths(job.recipe)
        self.actors = [remote.remote(recipe, stds, job.settings, self.fingerprint, env) for _ in range(count)]
        try:        # every actor holds its model (or says why not) before the first part goes out
            hosts = ray.get([a.ready.remote() for a in self.actors])
        except ray.exceptions.RayError as e:
            raise WordinfoError(f"a Ray actor could not load the model: {_cause(e)}") from None
        self.log(f"ray: {count} actor(s) on {len(set(hosts))} node(s) ({', '.join(sorted(set(hosts)))})")

    # ---- the parts
    def part_size(self, requested: int, remaining: int) -> int:
        """At most ``requested``, and small enough that every actor gets two parts of what is left."""
        share = -(-remaining // (QUEUED_PER_ACTOR * len(self.actors)))
        size = max(1, min(requested, share))
        if size < requested:
            self.log(f"ray: parts of {size} sentences, so that all {len(self.actors)} actors have work")
        return size

    def map(self, parts, bar=None):
        ray = self.ray
        parts = iter(parts)
        inflight: dict = {}

        def submit(actor) -> None:
            rows = next(parts, None)
            if rows is not None:
                inflight[actor.explain.remote(rows, self.batch_size)] = (actor, rows)

        for actor in self.actors:
            for _ in range(QUEUED_PER_ACTOR):
                submit(actor)
        try:
            while inflight:
                (ref,), _ = ray.wait(list(inflight), num_returns=1)
                actor, rows = inflight.pop(ref)
                try:
                    table = ray.get(ref)
                except ray.exceptions.RayError as e:
                    raise WordinfoError(f"sentences {rows[0].sentence}-{rows[-1].sentence} failed on a Ray actor: "
                                        f"{_cause(e)}") from None
                if bar is not None:
                    bar.update(len(rows))
                yield rows, table
                submit(actor)
        finally:
            for ref in inflight:
                ray.cancel(ref, force=True)


class PartExplainer:
    """A Ray actor (``ray.remote(PartExplainer)``): the job rebuilt once, then whole parts explained."""

    def __init__(self, recipe: dict, feature_stds, settings: dict, fingerprint: str | None, env: dict):
        os.environ.update(env)
        import torch

        from ..job import rebuild
        self.job = rebuild(recipe, feature_stds, settings, threads=1 if torch.device(
            recipe.get("device") or "cpu").type == "cpu" else None)
        if fingerprint is not None and self.job.encoder.fingerprint() != fingerprint:
            raise WordinfoError(f"the model {recipe['model']!r} on this node has other weights than the driver's: "
                                "give every node the same copy")

    def ready(self) -> str:
        import platform
        return platform.node()

    def explain(self, rows: list, batch_size: int):
        from .parts import part_table
        with self.job.encoder.frozen():
            return part_table(self.job, rows, batch_size, lambda batches: self.job.run_many(batches, predict=True))


def _absolute_paths(recipe: dict) -> dict:
    """Ray's worker processes start in their own directory: local paths in the recipe made absolute."""
    out = dict(recipe)
    for key in ("model", "calibration"):
        value = out.get(key)
        if isinstance(value, str) and value.lower() != "none" and Path(value).exists():
            out[key] = str(Path(value).resolve())
    return out


def _cause(error) -> str:
    """The first line of what went wrong on the actor (the original exception where Ray kept it)."""
    cause = getattr(error, "cause", None)
    text = str(cause if cause is not None else error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if cause is None and lines else (lines[0] if lines else type(error).__name__)
