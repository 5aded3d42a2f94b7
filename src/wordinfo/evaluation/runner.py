"""``wordinfo evaluate``: every method on the same sentences, judged by the same metrics.

For each sentence, each method explains every target (layers and prediction, or every
output step of a sequence-to-sequence model) with seed 0, timed; stochastic methods run
again with seeds 1, 2, ... on the first ``seed_sentences`` sentences. Then:

- faithfulness of the prediction's scores (models with a prediction): deletion and
  insertion AOPC, comprehensiveness and sufficiency (``faithfulness.py``);
- coherency: Spearman between adjacent layers, and across seeds (``coherency.py``);
- ground truth on the reverse task: top-1 accuracy and mean rank of the source word
  (``ground_truth.py``);
- cost: wall time per sentence (all its targets) and per explanation (one target).
"""

from __future__ import annotations

import contextlib
import itertools
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..baselines import make_methods
from ..corpus import read_texts
from ..errors import WordinfoError
from . import coherency as coh
from . import faithfulness as faith
from . import ground_truth as gt
from .records import RecordStore, fingerprint
from .report import write as write_results
from .report import write_partial
from .sentence import evaluate_sentence, label
from .tasks import load_context


def evaluate(model, data, methods="all", n: int = 200, layers="all", seeds: int = 3, seed_sentences: int = 50,
             out: str | Path | None = None, solver: str = "default", ig_steps: int = 20, tokenizer=None,
             part: tuple[int, int] | None = None, time_limit: float | None = None, progress: bool = False,
             log: Callable[[str], None] | None = None, ray=None, workers: int | None = None,
             **method_options) -> dict:
    """Run the evaluation and return its results (also written under ``out``: results.json,
    results.csv, scores.json and figures). ``method_options`` maps a method's name to its
    keyword arguments and overrides ``solver`` / ``ig_steps``.

    With ``out``, every finished sentence is kept under ``out/records`` and a second call
    with the same settings resumes where the first stopped (``records.py``). ``part=(I, K)``
    explains only sentences ``I-1, I-1+K, ...`` (a share of the work for one process or
    machine). ``time_limit`` (seconds) starts no new sentence after that long (one always runs). Results are
    written for the sentences that have records; ``settings['complete']`` says whether that
    is all of them. ``ray`` (True, 'auto' or a cluster address) evaluates the sentences on ``workers``
    Ray actors (default: one per CPU of the cluster; :mod:`wordinfo.evaluation.cluster`), each holding
    the model (by name or path) and the methods; this process still writes every record."""
    if ray is not None and ray is not False:
        from ..cluster import check_ray
        check_ray(ray)
        if not isinstance(model, (str, Path)):
            raise WordinfoError("Ray actors load the model again by name: pass a model directory or 'minilm', "
                                "not a loaded model object")
    if seeds < 1:
        raise WordinfoError(f"--seeds must be at least 1, got {seeds}")
    if part is not None and not (1 <= part[0] <= part[1]):
        raise WordinfoError(f"--part I/K needs 1 <= I <= K, got {part[0]}/{part[1]}")
    if part is not None and out is None:
        raise WordinfoError("--part needs --out: the parts' records are merged from there")
    texts = read_texts(data, n) if isinstance(data, (str, Path)) else list(data)[:n]
    log = log or (lambda msg: None)
    options = {"wordinfo": {"solver": solver}, "integrated_gradients": {"steps": ig_steps}}
    for name, opts in method_options.items():
        options[name] = {**options.get(name, {}), **opts}
    chosen = make_methods(methods, **options)
    store = None
    if out is not None:
        store = RecordStore(out, fingerprint(model, texts, [m.name for m in chosen],
                                             {"layers": layers, "seeds": seeds, "seed_sentences": seed_sentences,
                                              "method_options": options}), part)
    started = time.time()
    ctx = load_context(model, texts, layers, tokenizer)
    log(f"{ctx.name}: {len(texts)} sentences, {len(chosen)} methods, targets "
        f"{', '.join(label(t) for t in ctx.targets) or 'one per output step'}")
    first = ctx.sentence(texts[0])
    unsupported = {}
    for m in chosen:
        reasons = {label(t): r for t in ctx.targets_for(first) if (r := m.unsupported(ctx, t)) is not None}
        if reasons:
            unsupported[m.name] = reasons
            if len(set(reasons.values())) == 1 and len(reasons) == len(ctx.targets_for(first)):
                log(f"  {m.name}: not applicable: {next(iter(reasons.values()))}")

    done = store.load() if store is not None else {}
    mine = range(len(texts)) if part is None else range(part[0] - 1, len(texts), part[1])
    todo = [i for i in mine if i not in done]
    if done:
        log(f"  {len(done)} sentence(s) already have records in {store.folder}; {len(todo)} to go")
    bar = _bar(len(todo), progress)

    def within_limit():      # the sentences to start: all of them, or those begun before the time limit
        for count, i in enumerate(todo, 1):
            if time_limit is not None and count > 1 and time.time() - started > time_limit:
                log(f"  time limit of {time_limit:g} s reached: {len(todo) - count + 1} sentence(s) left for a "
                    "later run")
                return
            yield i

    with _records(ctx, chosen, texts, within_limit(), seeds, seed_sentences, log,
                  ray=ray, workers=workers, model=model, layers=layers, methods=methods, options=options) as records:
        for count, (i, record) in enumerate(records, 1):
            for name, rec in record["methods"].items():
                if rec.get("error"):
                    log(f"  {name} failed on sentence {i}: {rec['error']}")
            done[i] = record
            if store is not None:
                store.append(record)
            if bar is not None:
                bar.update(1)
            if out is not None and count % 25 == 0 and count < len(todo):     # long runs: the story so far
                write_partial(_summarise(ctx, chosen, _in_order(done), unsupported), len(done), Path(out))
    if bar is not None:
        bar.close()
    per_sentence = _in_order(done)
    results = _summarise(ctx, chosen, per_sentence, unsupported)
    results["settings"] = {"model": ctx.name, "data": str(data) if isinstance(data, (str, Path)) else "given texts",
                           "sentences": len(per_sentence), "methods": [m.name for m in chosen], "layers": layers,
                           "seeds": seeds, "seed_sentences": min(seed_sentences, len(texts)), "solver": solver,
                           "ig_steps": ig_steps, "method_options": {k: v for k, v in options.items()},
                           "targets": [label(t) for t in ctx.targets] or ["logits:J for every output step J"],
                           "deletion": f"token vectors replaced by the embedding of token id {ctx.delete_id} "
                                       f"({_token_name(ctx)}); special tokens kept",
                           "wall_time_s": round(time.time() - started, 1),
                           "sentence_seconds": round(float(sum(s.get("seconds", 0.0) for s in per_sentence)), 1),
                           "complete": len(per_sentence) == len(texts),
                           "hosts": sorted({s.get("host", platform.node()) for s in per_sentence}),
                           "noisy_pass_dtype": {m.name: str(m.compute_dtype or "float32").replace("torch.", "")
                                                for m in chosen if hasattr(m, "compute_dtype")}}
    if out is not None:
        write_results(results, per_sentence, Path(out))
    if len(per_sentence) < len(texts):
        log(f"  {len(per_sentence)} of {len(texts)} sentences have records: the same command again (without "
            "--part) continues")
    return results


@contextlib.contextmanager
def _records(ctx, chosen, texts, indices, seeds, seed_sentences, log, ray, workers, **recipe):
    """``(i, record)`` for each sentence of ``indices``: in this process, in order, or on Ray actors as they finish
    (``recipe``: the model, layers, methods and their options, for the actors to build the same)."""
    if ray is None or ray is False:
        yield ((i, evaluate_sentence(ctx, chosen, i, texts[i], seeds, seed_sentences)) for i in indices)
        return
    from .cluster import RaySentences
    fingerprint = getattr(ctx.encoder, "fingerprint", None)
    with RaySentences(recipe["model"], texts, recipe["layers"], recipe["methods"], recipe["options"], seeds,
                      seed_sentences, ray, workers, fingerprint() if callable(fingerprint) else None, log) as actors:
        yield actors.map(indices)


def _in_order(done: dict) -> list[dict]:
    return [done[i] for i in sorted(done)]


def _summarise(ctx, methods, per_sentence, unsupported) -> dict:
    layers = [label(t) for t in ctx.layer_targets]
    summary = {}
    for m in methods:
        recs = [s["methods"][m.name] for s in per_sentence]
        entry: dict = {"stochastic": m.stochastic, "unsupported": unsupported.get(m.name, {})}
        errors = [r["error"] for r in recs if r.get("error")]
        if errors:
            entry["errors"] = {"sentences": len(errors), "first": errors[0]}
        n_expl = [r["explanations"] for r in recs]
        if sum(n_expl):
            seconds = [r["seconds"] for r in recs]
            entry["seconds_per_sentence"] = float(np.mean(seconds))
            entry["seconds_per_explanation"] = float(np.sum(seconds) / np.sum(n_expl))
            if all("cpu_seconds" in r for r in recs):
                entry["cpu_seconds_per_explanation"] = float(np.sum([r["cpu_seconds"] for r in recs]) / np.sum(n_expl))
        faithful = [r["faithfulness"] for r in recs if "faithfulness" in r]
        if faithful:
            entry["faithfulness"] = faith.summarise(faithful)
        rhos = np.array([r["layer_rho"] for r in recs if "layer_rho" in r])
        if rhos.size:
            pairs = [f"{a} - {b}" for a, b in itertools.pairwise(layers)]
            entry["layer_coherency"] = {"mean": coh.mean(rhos), "pairs": dict(zip(pairs, map(coh.mean, rhos.T))),
                                        "sentences": int(rhos.shape[0])}
        seeded = [(s, s["methods"][m.name]["seed_rho"]) for s in per_sentence if "seed_rho" in s["methods"][m.name]]
        if seeded:
            pred = [rho[s["targets"].index(label(t))] for s, rho in seeded for t in ctx.prediction_targets]
            lay = [rho[s["targets"].index(la)] for s, rho in seeded for la in layers]
            steps = [v for s, rho in seeded for la, v in zip(s["targets"], rho) if la.startswith("logits:")]
            entry["seed_coherency"] = {"prediction": coh.mean(pred), "layers": coh.mean(lay), "steps": coh.mean(steps),
                                       "sentences": len(seeded)}
        ranked = [(r["ranks"], len(s["words"])) for s, r in zip(per_sentence, recs) if "ranks" in r]
        if ranked:
            entry["ground_truth"] = gt.summarise([k for ranks, _ in ranked for k in ranks],
                                                 [m_ for ranks, m_ in ranked for _ in ranks])
        summary[m.name] = entry
    return {"model": ctx.name, "methods": summary, "layers": layers}


def _token_name(ctx) -> str:
    try:
        return ctx.encoder.tokenizer.convert_ids_to_tokens([ctx.delete_id])[0]
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):   # no conversion: the id says enough
        return "?"


def _bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="evaluating", unit="sentence")

