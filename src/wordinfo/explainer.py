"""``wordinfo.explain``: every layer of a Hugging Face encoder, for one or many texts, in one call."""

from __future__ import annotations

import contextlib
from typing import Sequence

from .cluster import check_workers
from .concepts import check_input_space, concept_pieces, read_concept
from .errors import WordinfoError
from .explanation import Explanation
from .job import SentenceResult, prepare
from .pairs import as_texts, length
from .pool import RayPool


def explain(texts: str | Sequence[str], model=None, tokenizer=None, layers="all", target: str = "tokens", *,
            lam: float = 0.1, scale: float | None = None, calibration: str | None = None, seed: int = 0,
            solver: str = "default", batch_size: int = 1, truncate: bool = False, progress: bool = False,
            dtype: str = "auto", device: str | None = None, workers: int = 1, ray=None, from_layer: int = 0,
            decoder_text: str | None = None, pair: str | Sequence[str] | None = None, concept=None,
            **solver_options) -> Explanation:
    """How much each layer keeps of each word of ``texts``.

    ``model`` is None (the bundled MiniLM-L6), a local directory, a Hugging Face Hub id
    (``gpt2``, ``org/name``), or a loaded ``transformers`` model (then pass its ``tokenizer``).
    ``layers`` is 'all', a list or '1,3,6'; ``target`` is 'tokens' (the layer's token states), 'cls' (the first
    token's state) or 'logits' (models with a classification head). sigma_S comes
    from ``calibration`` (a file of sentences, one per line; default: a bundled
    sample; 'none' for the per-sentence mean-square fallback). ``scale`` defaults to
    ten times the std of the word-embedding matrix. Texts are explained in batches of
    ``batch_size``, sorted by length; on a CPU one at a time (the default) is fastest, since
    each evaluation is already compute-bound and a batch adds padding
    (``benchmarks/bench_batching.py``); larger batches pay off on a GPU. The noisy passes run
    in ``dtype``: 'auto' takes bfloat16 matrix products where the hardware is fast at them
    (answers agree with float32 within sampling error: docs/performance.md), 'float32' never,
    'bfloat16' always, and a model given by name or path is then loaded with bfloat16 weights (half
    the memory: how a 1B-parameter model fits a small machine; a model object keeps its own dtype).
    ``device`` ('cpu', 'cuda', 'auto' = the GPU when there is one) moves the model there
    first; None leaves it where it is (a model loaded from a path starts on the CPU).
    ``workers`` > 1 explains batches on that many single-thread Ray actors on this machine (a model
    given by name or path; ``pip install "wordinfo[ray]"``); ``ray`` (True, 'auto' or HOST:PORT) on a
    Ray cluster's actors (``workers`` of them, default one per CPU). ``from_layer`` A
    explains what the layers above A keep of layer A's output (0, the default: of the input).
    ``decoder_text``: for an encoder-decoder (T5, BART), the target text its decoder reads for
    ``target='decoder:J'`` (decoder layer states at output step J). ``pair``: the second text of each
    text, for sentence pairs (paraphrase, entailment): both go through the tokenizer's two-text call with
    segment ids where the model has them, every word of both is explained, and ``exp.segments(i)`` says
    which text each word belongs to (``texts`` may also be given as ``(first, second)`` tuples).
    ``concept``: a bundled concept list's name (``positive_adjectives``...), a file of words (one a line) or
    a list of words; the explanation then also holds the fine-grained information r_{i,c} of each word
    (``exp.word_values('concept')``: :mod:`wordinfo.concepts`; from the input only, ``from_layer`` 0).
    """
    texts = as_texts(texts, pair)
    if not texts:
        raise WordinfoError("no text given: pass a string or a list of strings")
    if concept is not None:                 # a bad concept fails before the model loads
        check_input_space(from_layer)
        concept = read_concept(concept)
    job = prepare(model, tokenizer, layers, target, lam=lam, scale=scale, calibration=calibration, seed=seed,
                  solver=solver, truncate=truncate, dtype=dtype, device=device, from_layer=from_layer,
                  decoder_text=decoder_text, **solver_options)
    on_ray = ray is not None and ray is not False          # a cluster; else workers > 1 on this machine
    check_workers(workers, job)
    for t in texts:
        job.encoder.tokenize([t], truncate=truncate)             # fail early, before any long work
    if concept is not None:
        concept = concept_pieces(concept, job.encoder.tokenizer).concept      # no known word: an error now
    order = sorted(range(len(texts)), key=lambda i: length(texts[i]))    # similar lengths share a batch
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    results: dict[int, SentenceResult] = {}
    bar = _progress(len(texts), progress)
    pool = None
    if on_ray or workers > 1:       # workers None on a cluster: one actor per CPU there
        pool = RayPool(job, workers if workers > 1 else None, ray if on_ray else True)
    with job.encoder.frozen(), (pool or contextlib.nullcontext()):
        answers = (pool or job).run_many([[texts[i] for i in batch] for batch in batches], bar)
        for batch, answer in zip(batches, answers):
            results.update(zip(batch, answer))
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()
    exp = job.explanation(texts, [results[i] for i in range(len(texts))])
    return exp if concept is None else exp.with_concept(concept, job.encoder)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="explaining", unit="sentence")
