"""``wordinfo train``: the paper's model families, trained reproducibly on a CPU, saved as checkpoints.

* ``--task sst2|cola`` with ``--arch bert`` (the bundled MiniLM-L6 fine-tuned),
  ``transformer`` (4-layer encoder from scratch), ``lstm`` (2-layer biLSTM) or ``cnn``
  (3 stacked convolutions);
* ``--task reverse`` with ``--arch lstm`` (encoder-decoder with attention) or ``transformer``.

The non-BERT classifiers read MiniLM's WordPiece tokens and start from MiniLM's 384-d
word embeddings, kept frozen: SST-2 and CoLA are a few thousand sentences, too few to
learn 30,522 word vectors, and frozen vectors make the perturbed input (the word
embeddings) the same space, with the same bound on sigma, for all three families.
The reverse task's words have no meaning to borrow; its embeddings are learned.

Every run carves a validation split off the training file with a fixed seed, stops
early on it, reports the metric on the test file (CoLA: its dev file) and saves
``metrics.json`` beside the weights. ``probe=FILE`` also explains a fixed probe set with
the model before training and after every epoch, into ``OUT/probe/epoch-K``
(:mod:`wordinfo.runs.probe`; its time is reported apart from the training's).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import WordinfoError
from ..files import write_json
from .loop import METRICS, Recipe, fit

ARCHS = {"sst2": ("bert", "transformer", "lstm", "cnn"), "cola": ("bert", "transformer", "lstm", "cnn"),
         "reverse": ("lstm", "transformer")}
MAX_TOKENS = 128             # classifiers: longer texts are cut (SST-2's longest is 70 word pieces)

# model hyper-parameters per (task family, arch); the embedding size comes from MiniLM
MODEL_DEFAULTS = {
    ("classifier", "transformer"): {"dim": 128, "heads": 4, "ff": 256, "layers": 4, "dropout": 0.1, "pool": "mean"},
    ("classifier", "lstm"): {"hidden": 256, "layers": 2, "bidirectional": True, "dropout": 0.3, "pool": "max"},
    ("classifier", "cnn"): {"channels": 256, "kernel": 3, "layers": 3, "dropout": 0.3, "pool": "max"},
    ("seq2seq", "lstm"): {"embedding_dim": 64, "hidden": 64, "layers": 2, "dropout": 0.1, "max_steps": 32},
    ("seq2seq", "transformer"): {"embedding_dim": 64, "dim": 64, "heads": 4, "ff": 128, "layers": 2,
                                 "decoder_layers": 2, "dropout": 0.1, "max_length": 64, "max_steps": 32},
}
# training hyper-parameters per arch, or per "task-arch" where a task needs its own
RECIPES = {
    "bert": Recipe(epochs=3, batch_size=32, lr=1e-4, patience=2, weight_decay=0.01, warmup=0.1, decay=True),
    # CoLA: after 3 epochs the validation MCC was still rising in every seed (the schedule ended the
    # training, not the validation split); 6 epochs let it level off (0.28 -> 0.36, docs/models.md)
    "cola-bert": Recipe(epochs=6, batch_size=32, lr=1e-4, patience=2, weight_decay=0.01, warmup=0.1, decay=True),
    "transformer": Recipe(epochs=20, batch_size=32, lr=5e-4, patience=4, weight_decay=0.01, warmup=0.1),
    "lstm": Recipe(epochs=15, batch_size=32, lr=1e-3, patience=3),
    "cnn": Recipe(epochs=15, batch_size=32, lr=1e-3, patience=3),
    "reverse-lstm": Recipe(epochs=15, batch_size=64, lr=2e-3, patience=3),
    "reverse-transformer": Recipe(epochs=30, batch_size=64, lr=1e-3, patience=5),
}
REVERSE_DEFAULTS = {"vocab_size": 20, "min_length": 5, "max_length": 15, "train_size": 10000, "val_size": 1000,
                    "test_size": 2000}


def default_recipe(task: str, arch: str) -> Recipe:
    """The training defaults of one model: the task's own (``cola-bert``, ``reverse-lstm``...), else the arch's."""
    return RECIPES.get(f"{task}-{arch}") or RECIPES[arch]


def train(task: str, arch: str, out: str | Path, *, data_dir=None, train_file=None, test_file=None, seed: int = 0,
          val_fraction: float = 0.1, recipe: dict | None = None, model: dict | None = None,
          reverse: dict | None = None, tune_embeddings: bool = False, threads: int | None = None,
          progress: bool = True, log: Callable[[str], None] = print, command: str | None = None, probe=None,
          probe_options: dict | None = None) -> dict:
    """Train one model, save it to ``out`` and return its report (also written to ``out/metrics.json``).

    ``recipe`` overrides training hyper-parameters (epochs, batch_size, lr, patience...),
    ``model`` the model's, ``reverse`` the reverse task's (vocab_size, lengths, sizes).
    ``probe``: a file of sentences (or a list) explained before training and after each epoch into
    ``out/probe/epoch-K``, with ``probe_options`` (``layers``, ``solver``, ``precision``, any explain option).
    """
    if task not in ARCHS:
        raise WordinfoError(f"unknown task {task!r}: use {', '.join(ARCHS)}")
    if arch not in ARCHS[task]:
        raise WordinfoError(f"arch {arch!r} is not available for {task}: use {', '.join(ARCHS[task])}")
    base = default_recipe(task, arch).to_dict()
    unknown = set(recipe or {}) - set(base)
    if unknown:
        raise WordinfoError(f"unknown training option {min(unknown)!r}: use {', '.join(base)}")
    rec = Recipe(**{**base, **(recipe or {})})
    if rec.epochs < 1 or rec.batch_size < 1 or rec.patience < 1 or not rec.lr > 0:
        raise WordinfoError("epochs, batch size and patience must be >= 1 and the learning rate > 0")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise WordinfoError(f"--out {str(out)!r} is a file: give a directory")
    if threads is not None:
        if threads < 1:
            raise WordinfoError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    prober = None
    if probe is not None:                  # checked before anything is read or trained
        from ..runs.probe import Probe
        training = {"task": task, "arch": arch, "seed": seed, "recipe": rec.to_dict(), "model": model or {},
                    "reverse": reverse or {}, "data": [data_dir, train_file, test_file], "val_fraction": val_fraction,
                    "tune_embeddings": tune_embeddings}
        prober = Probe(probe, out / "probe", name=out.resolve().name or f"{task}-{arch}", training=training, log=log,
                       progress=progress, **(probe_options or {}))
    torch.manual_seed(seed)
    started, cpu_started = time.time(), time.process_time()
    if task == "reverse":
        report = _train_reverse(arch, out, rec, seed, model or {}, {**REVERSE_DEFAULTS, **(reverse or {})},
                                progress, log, prober)
    else:
        report = _train_classifier(task, arch, out, rec, seed, model or {}, data_dir, train_file, test_file,
                                   val_fraction, tune_embeddings, progress, log, prober)
    machine = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
               "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
               "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY")}
    probed = prober.report() if prober else {"wall_time_s": 0.0, "cpu_time_s": 0.0}
    report.update(task=task, arch=arch, seed=seed, recipe=rec.to_dict(),     # the training's time, probing apart
                  wall_time_s=round(time.time() - started - probed["wall_time_s"], 1),
                  cpu_time_s=round(time.process_time() - cpu_started - probed["cpu_time_s"], 1), command=command,
                  machine=machine, **({"probe": probed} if prober else {}))
    write_json(out / "metrics.json", report, sort_keys=False)
    log(f"{report['test_name']} {report['metric']}: {report['test']:.4f} "
        f"(validation {report['best_validation']:.4f}, epoch {report['best_epoch']}); "
        f"{report['wall_time_s']:.0f} s ({report['cpu_time_s']:.0f} s of CPU); saved to {out}"
        + (f"; probe runs of epochs {min(probed['epochs'])}-{max(probed['epochs'])} in {probed['dir']} "
           f"({probed['wall_time_s']:.0f} s; the saved weights are epoch {report['best_epoch']}'s)"
           if prober and probed["epochs"] else ""))
    return report


# ---------------------------------------------------------------- SST-2, CoLA

def _train_classifier(task, arch, out, rec, seed, model_options, data_dir, train_file, test_file, val_fraction,
                      tune_embeddings, progress, log, prober=None):
    from ..corpus import read_labelled
    from .data import TASKS, split_validation, task_files
    from .minilm import minilm_classifier, minilm_tokenizer, minilm_word_embeddings

    spec = TASKS[task]
    train_path, test_path = task_files(task, data_dir, train_file, test_file)
    (tr_x, tr_y), (va_x, va_y) = split_validation(*read_labelled(train_path), val_fraction)
    te_x, te_y = read_labelled(test_path)
    log(f"{task}: {len(tr_x)} train, {len(va_x)} validation (carved from {train_path.name}), "
        f"{len(te_x)} {spec.test_name} ({test_path})")
    tokenizer = minilm_tokenizer()
    encode = lambda texts: tokenizer(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    tr_ids, va_ids, te_ids = encode(tr_x), encode(va_x), encode(te_x)
    pad = tokenizer.pad_token_id
    if arch == "bert":
        net = minilm_classifier(spec.labels)
        logits_of = lambda ids, mask: net(input_ids=ids, attention_mask=mask).logits
        description = "MiniLM-L6 (bundled all-MiniLM-L6-v2), fine-tuned with a classification head"
    else:
        from ..models.checkpoint import build
        embeddings = minilm_word_embeddings()
        config = {**MODEL_DEFAULTS[("classifier", arch)], **model_options, "vocab_size": embeddings.shape[0],
                  "embedding_dim": embeddings.shape[1], "num_labels": len(spec.labels), "pad_id": pad,
                  "max_length": MAX_TOKENS, "labels": list(spec.labels)}
        net = _build(build, "classifier", arch, config)
        with torch.no_grad():
            net.embedding.weight.copy_(embeddings)
        net.embedding.weight.requires_grad_(tune_embeddings)
        logits_of = net
        description = net.describe()
    log(f"model: {description}; word embeddings {'fine-tuned' if tune_embeddings or arch == 'bert' else 'frozen'}")

    # classes weighted by inverse frequency: CoLA is 70% acceptable, and a model that always says so
    # scores a Matthews correlation of 0
    counts = torch.bincount(torch.tensor(tr_y), minlength=len(spec.labels)).clamp_min(1).float()
    weights = counts.sum() / (len(counts) * counts)

    def loss_fn(batch):
        ids, mask = _pad([tr_ids[i] for i in batch], pad)
        return F.cross_entropy(logits_of(ids, mask), torch.tensor([tr_y[i] for i in batch]), weight=weights)

    score = METRICS[spec.metric]
    predict = lambda ids: _predict(logits_of, ids, pad, rec.batch_size * 2)
    history = fit(net, loss_fn, lambda: score(predict(va_ids), va_y), [len(i) for i in tr_ids], rec, seed, progress,
                  log, metric=spec.metric, on_epoch_end=_probe_hook(prober, net, tokenizer))
    test = score(predict(te_ids), te_y)
    if arch == "bert":
        out.mkdir(parents=True, exist_ok=True)
        net.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
    else:
        from ..models.checkpoint import save
        save(out, net, tokenizer, task)
    return {"metric": spec.metric, "test": test, "test_name": spec.test_name, "model": description,
            "embeddings": "fine-tuned" if tune_embeddings or arch == "bert" else "frozen (MiniLM-L6)",
            "class_weights": [round(float(w), 4) for w in weights],
            "data": {"train": str(train_path), "test": str(test_path), "n_train": len(tr_x), "n_validation": len(va_x),
                     "n_test": len(te_x), "val_fraction": val_fraction}, **history}


def _pad(seqs: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, mask


def _predict(logits_of, ids: list[list[int]], pad: int, batch_size: int) -> list[int]:
    from .loop import length_batches
    pred = [0] * len(ids)
    with torch.no_grad():
        for batch in length_batches([len(i) for i in ids], batch_size):
            x, mask = _pad([ids[i] for i in batch], pad)
            for i, p in zip(batch, logits_of(x, mask).argmax(-1).tolist()):
                pred[i] = p
    return pred


def _probe_hook(prober, net, tokenizer, calibration=None):
    """``fit``'s ``on_epoch_end``: the probe set explained at each epoch, once its sentences fit the model."""
    if prober is None:
        return None
    prober.begin(net, tokenizer, calibration)
    return prober.explain


def _build(build, family, arch, config):
    try:
        return build(family, arch, config)
    except (KeyError, TypeError, ValueError) as e:
        raise WordinfoError(f"bad model option for a {arch} {family}: {e}") from None


# ---------------------------------------------------------------- the reverse task

def _train_reverse(arch, out, rec, seed, model_options, task_options, progress, log, prober=None):
    from ..models.checkpoint import build, save
    from .reverse import ReverseTask, build_tokenizer

    opts = dict(task_options)
    sizes = {k: int(opts.pop(k)) for k in ("train_size", "val_size", "test_size")}
    if set(opts) - {"vocab_size", "min_length", "max_length"} or min(sizes.values()) < 1:
        raise WordinfoError(f"reverse task options are vocab_size, min_length, max_length and sizes >= 1, "
                            f"got {sorted(task_options)}")
    gen = ReverseTask(seed=seed, **opts)
    train_x, val_x, test_x = (gen.sample(sizes[k], stream) for stream, k in enumerate(sizes))
    calibration = gen.sample(60, stream=3)
    log(f"reverse: vocabulary {gen.vocab_size}, lengths {gen.min_length}-{gen.max_length}; "
        f"{len(train_x)} train, {len(val_x)} validation, {len(test_x)} test sequences (seed {seed})")
    tokenizer = build_tokenizer(gen.vocab_size, max_length=gen.max_length + 2)
    config = {**MODEL_DEFAULTS[("seq2seq", arch)], **model_options, "vocab_size": len(tokenizer),
              "pad_id": tokenizer.pad_token_id}
    if config.get("max_steps", 64) < gen.max_length or config.get("max_length", 64) < gen.max_length + 2:
        raise WordinfoError(f"the model's max_steps/max_length are too small for sequences of {gen.max_length}")
    net = _build(build, "seq2seq", arch, config)
    log(f"model: {net.describe()}; word embeddings learned")
    pad = tokenizer.pad_token_id
    tr_ids, va_ids, te_ids = (tokenizer(x)["input_ids"] for x in (train_x, val_x, test_x))

    def targets(seqs):
        """Reversed words, padded with -100 (ignored by the loss)."""
        n = max(len(s) - 2 for s in seqs)
        y = torch.full((len(seqs), n), -100, dtype=torch.long)
        for i, s in enumerate(seqs):
            words = s[1:-1]
            y[i, :len(words)] = torch.tensor(words[::-1])
        return y

    def loss_fn(batch):
        seqs = [tr_ids[i] for i in batch]
        ids, mask = _pad(seqs, pad)
        y = targets(seqs)
        logits = net(ids, mask, y.shape[1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)

    def token_accuracy(ids_list, whole: bool = False):
        right = total = seq_right = 0
        with torch.no_grad():
            for start in range(0, len(ids_list), 256):
                seqs = ids_list[start:start + 256]
                ids, mask = _pad(seqs, pad)
                y = targets(seqs)
                pred = net(ids, mask, y.shape[1]).argmax(-1)
                ok = (pred == y) | (y == -100)
                right += int(((pred == y) & (y != -100)).sum())
                total += int((y != -100).sum())
                seq_right += int(ok.all(1).sum())
        return (right / total, seq_right / len(ids_list)) if whole else right / total

    history = fit(net, loss_fn, lambda: token_accuracy(va_ids), [len(i) for i in tr_ids], rec, seed, progress, log,
                  metric="token accuracy", on_epoch_end=_probe_hook(prober, net, tokenizer, calibration))
    test, sequences = token_accuracy(te_ids, whole=True)
    save(out, net, tokenizer, "reverse", calibration=calibration)
    return {"metric": "token_accuracy", "test": test, "sequence_accuracy": sequences, "test_name": "test",
            "model": net.describe(), "embeddings": "learned",
            "data": {"generator": {**opts, "seed": seed}, **sizes}, **history}
