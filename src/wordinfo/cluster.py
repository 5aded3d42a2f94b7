"""Work on several processes or machines, through Ray: connect (or start a local instance), one actor per worker
slot, items handed out as actors finish them, and every Ray failure as one line. The one parallel path:
``explain(workers=N)`` and the benchmark (:class:`wordinfo.pool.RayPool`), corpus runs
(:mod:`wordinfo.runs.cluster`) and the evaluation (:mod:`wordinfo.evaluation.cluster`) all go through
here, on one machine or many.

Why processes: one sentence's matrix products are small (tens of tokens times a few dozen
noise samples), so a second thread inside them keeps a second core only partly busy; two
single-thread processes explain two sentences at once. Ray's actors matched the home-made
process pool this replaced on this 2-core machine (1.03 and 1.01 times its sentences a
minute, start-up included; ``benchmarks/ray_vs_pool.py``, docs/scaling.md), so there is one
path, not two.

Why Ray: it is the engine a cluster in this field already runs (``ray start``), it restarts a
lost worker and retries its task, and its actors keep a loaded model between items.

* ``True`` (``--ray``) starts a local Ray instance sized to the machine (or uses the one this
  process already has); ``"HOST:PORT"`` (``--ray ADDRESS``) joins a running cluster (``ray
  start --head`` on one machine, ``ray start --address=HOST:PORT`` on the others); ``"auto"``
  joins the cluster this machine belongs to. A cluster with token authentication (Ray's
  default for local clusters from 2.59) needs the driver to see the token:
  ``~/.ray/auth_token`` on the head, or ``RAY_AUTH_TOKEN`` set before the command starts.
* Actors take one CPU each (``num_cpus=1``; they run one thread), or one GPU (``num_gpus=1``).
  An actor process that dies is restarted (``max_restarts=-1``) and its item retried
  (``max_task_retries``); an item that kills its actor that many times ends the work, naming it.
* Two items are queued on each actor, so an actor never waits for the driver between items.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import WordinfoError

MAX_TASK_RETRIES = 3
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


def check_workers(workers, job) -> int:
    """Fail early on a worker count that cannot work: not a whole number, or more than one without Ray or for a
    model object (workers load the model again by name)."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise WordinfoError(f"workers must be a whole number >= 1, got {workers!r}")
    if workers > 1:
        _check_recipe(job, ", or use workers=1")
        try:
            ray_module()
        except WordinfoError:
            raise WordinfoError('workers > 1 run as Ray actors, and Ray is not installed: pip install '
                                '"wordinfo[ray]", or use workers=1') from None
    return workers


def check_ray(option, job=None) -> None:
    """Fail early, before any long work: Ray missing, a malformed option, or a job that actors cannot rebuild."""
    ray_module()
    if option is True or (isinstance(option, str) and option.strip()):
        if job is not None:
            _check_recipe(job)
        return
    raise WordinfoError(f"ray must be True (a local instance), 'auto' or a cluster address HOST:PORT, got {option!r}")


def _check_recipe(job, alternative: str = "") -> None:
    """Workers and actors rebuild the job from its recipe: a model given by name, path or Hub id only."""
    if job.recipe is None:
        raise WordinfoError("worker processes load the model again by name: pass a model directory, a Hub id "
                            f"or None (the bundled MiniLM), not a loaded model object{alternative}")


def passed_env() -> dict:
    """The driver's environment variables an actor sets before it loads anything (:data:`PASSED_ENV`)."""
    return {k: os.environ[k] for k in PASSED_ENV if k in os.environ}


def absolute_paths(recipe: dict, keys=("model", "calibration")) -> dict:
    """Ray's worker processes start in their own directory: local paths in a recipe made absolute."""
    out = dict(recipe)
    for key in keys:
        value = out.get(key)
        if isinstance(value, str) and value.lower() != "none" and Path(value).exists():
            out[key] = str(Path(value).resolve())
    return out


class RayCluster:
    """A connection to Ray and a set of actors: ``with RayCluster(option, log) as cluster: cluster.start(...)``."""

    def __init__(self, option=True, log=None):
        self.option, self.log = option, log or (lambda m: None)
        self.ray = ray_module()
        self.actors, self.node_of, self.started_ray = [], {}, False

    def __enter__(self) -> "RayCluster":
        ray = self.ray
        if ray.is_initialized():
            return self
        try:
            if self.option is True or str(self.option).lower() == "local":
                # ERROR: a local instance's start-up warnings (its token, /dev/shm) are not the user's business
                ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR, object_store_memory=512 * 1024 ** 2)
            else:
                _check_reachable(str(self.option))
                ray.init(address=str(self.option), log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise WordinfoError(f"cannot reach the Ray cluster at {self.option!r} ({str(e).splitlines()[0]}): "
                                "start it with `ray start --head`, or give --ray alone for a local one") from None
        self.started_ray = True
        return self

    def __exit__(self, *exc) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.actors, self.node_of = [], {}
        if self.started_ray:
            self.ray.shutdown()
            self.started_ray = False

    def start(self, actor_class, args: tuple, count: int | None = None, gpu: bool = False, what: str = "the model"):
        """``count`` actors of ``actor_class(*args)`` (default: one per CPU, or GPU, of the cluster), each ready.

        The class needs a ``ready()`` method returning ``(host name, Ray node id)`` once it holds its model."""
        ray = self.ray
        slots = int(ray.cluster_resources().get("GPU" if gpu else "CPU", 0))
        count = count or slots
        if count < 1 or count > slots:
            raise WordinfoError(f"the Ray cluster has {slots} {'GPUs' if gpu else 'CPUs'} but {count} actor(s) were "
                                f"asked for: give --workers 1..{slots}, or add nodes (ray start --address=...)")
        remote = ray.remote(actor_class).options(num_cpus=1, num_gpus=1 if gpu else 0, max_restarts=-1,
                                                 max_task_retries=MAX_TASK_RETRIES)
        self.actors = [remote.remote(*args) for _ in range(count)]
        try:        # every actor holds its model (or says why not) before the first item goes out
            where = ray.get([a.ready.remote() for a in self.actors])
        except ray.exceptions.RayError as e:
            raise WordinfoError(f"a Ray actor could not load {what}: {cause(e)}") from None
        self.node_of = {a: node for a, (_, node) in zip(self.actors, where)}
        self.log(f"ray: {count} actor(s) on {len({n for _, n in where})} node(s) "
                 f"({', '.join(sorted({host for host, _ in where}))})")
        return self.actors

    def map(self, method: str, items, describe=str, *args, unpack: bool = False):
        """``(item, result)`` of ``actor.method(item, *args)`` for every item, as actors finish them (any order);
        with ``unpack``, items are ``(key, payload)`` and the actor is sent the payload only.

        A failure that Ray's retries did not mend ends the work with one line naming ``describe(item)``."""
        ray = self.ray
        items = iter(items)
        inflight: dict = {}

        def submit(actor) -> None:
            item = next(items, None)
            if item is not None:
                payload = item[1] if unpack else item
                inflight[getattr(actor, method).remote(payload, *args)] = (actor, item)

        for actor in self.actors:
            for _ in range(QUEUED_PER_ACTOR):
                submit(actor)
        per_node: dict = {}
        try:
            while inflight:
                (ref,), _ = ray.wait(list(inflight), num_returns=1)
                actor, item = inflight.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as e:
                    raise WordinfoError(f"{describe(item)} failed on a Ray actor: {cause(e)}") from None
                per_node[self.node_of[actor]] = per_node.get(self.node_of[actor], 0) + 1
                yield item, result
                submit(actor)
            if per_node:
                self.log("ray: items per node: " + ", ".join(f"{n[:8]}: {c}" for n, c in sorted(per_node.items())))
        finally:
            for ref in inflight:
                ray.cancel(ref, force=True)


class OnRay:
    """Base of what works on Ray actors (a context manager): connects on entry, :meth:`start_actors`, and stops
    the actors (and a Ray instance it started) on exit, whatever happened."""

    def __init__(self, option=True, log=None):
        self.cluster = RayCluster(option, log)
        self.log = self.cluster.log

    def start_actors(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self.cluster.__enter__()
        try:
            self.start_actors()
        except BaseException:
            self.cluster.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.cluster.__exit__(*exc)

    @property
    def actors(self) -> list:
        return self.cluster.actors


def node() -> tuple[str, str]:
    """``(host name, Ray node id)`` of the calling actor: what ``ready()`` returns."""
    import platform

    import ray
    return platform.node(), ray.get_runtime_context().get_node_id()


def cause(error) -> str:
    """The first line of what went wrong on an actor (the original exception where Ray kept it)."""
    original = getattr(error, "cause", None)
    text = str(original if original is not None else error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if original is None and lines else (lines[0] if lines else type(error).__name__)


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A HOST:PORT (or ray://HOST:PORT) that answers a TCP connection; else one line now, rather than after
    Ray's own minute of retries."""
    import socket
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        if address.lower() == "auto":
            return
        raise WordinfoError(f"--ray takes HOST:PORT (the head's `ray start --head` address), 'auto' or nothing, "
                            f"got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout).close()
    except OSError as e:
        raise WordinfoError(f"cannot reach the Ray cluster at {address!r} ({e.strerror or e}): start it with "
                            "`ray start --head`, or give --ray alone for a local one") from None
