"""The training loop shared by every model: AdamW, warm-up, clipping, early stopping on a validation score.

Each epoch ends with an evaluation on the validation split; the weights of the best
epoch are kept (in memory) and restored at the end, and training stops after
``patience`` epochs without improvement. ``on_epoch_end(epoch, model)``, a hook for
what watches the training (``wordinfo train --probe``), is called with 0 before the
first epoch and with K after epoch K's validation.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch


@dataclass
class Recipe:
    """Training hyper-parameters (the model's own are in its config)."""
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    patience: int = 3
    weight_decay: float = 0.0
    warmup: float = 0.05          # fraction of all steps with a linearly rising learning rate
    decay: bool = False           # then decay linearly to 0 at the last epoch (else stay constant)
    clip: float = 1.0             # gradient norm clipping

    def to_dict(self) -> dict:
        return asdict(self)


def accuracy(pred: Sequence[int], gold: Sequence[int]) -> float:
    return sum(int(p == g) for p, g in zip(pred, gold)) / max(len(gold), 1)


def matthews(pred: Sequence[int], gold: Sequence[int]) -> float:
    """Matthews correlation of binary predictions (0 when a margin is empty, as in scikit-learn)."""
    tp = sum(1 for p, g in zip(pred, gold) if p == 1 and g == 1)
    tn = sum(1 for p, g in zip(pred, gold) if p == 0 and g == 0)
    fp = sum(1 for p, g in zip(pred, gold) if p == 1 and g == 0)
    fn = sum(1 for p, g in zip(pred, gold) if p == 0 and g == 1)
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / denom if denom else 0.0


METRICS = {"accuracy": accuracy, "mcc": matthews}


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random | None = None) -> list[list[int]]:
    """Batches of similar lengths (less padding): shuffled, sorted within pools of 50 batches, shuffled again.

    Without ``rng`` the order is plain sorted, for evaluation.
    """
    order = list(range(len(lengths)))
    if rng is None:
        order.sort(key=lambda i: lengths[i])
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def fit(model: torch.nn.Module, loss_fn: Callable, evaluate: Callable[[], float], lengths: Sequence[int],
        recipe: Recipe, seed: int = 0, progress: bool = True, log: Callable[[str], None] = print,
        metric: str = "score", on_epoch_end: Callable[[int, torch.nn.Module], object] | None = None) -> dict:
    """Train ``model`` with ``loss_fn(batch_indices) -> loss``; keep the epoch with the best ``evaluate()``.

    ``on_epoch_end(epoch, model)``: called with 0 before training and with K after epoch K's validation (the
    model in eval mode with epoch K's weights, not the best kept so far); it must leave the model, its weights
    and the random generators as it found them (:func:`wordinfo.runs.probe.undisturbed`).
    Returns the history: validation score per epoch, the best epoch and its score.
    """
    from tqdm.auto import tqdm

    rng = random.Random(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    per_epoch = math.ceil(len(lengths) / recipe.batch_size)
    total = per_epoch * recipe.epochs
    warm = max(1, int(recipe.warmup * total))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm)) if recipe.decay else 1.0

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    best, best_epoch, best_state, waited, history = -math.inf, 0, None, 0, []
    if on_epoch_end is not None:
        on_epoch_end(0, model)
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        bar = tqdm(length_batches(lengths, recipe.batch_size, rng), desc=f"epoch {epoch}/{recipe.epochs}",
                   unit="batch", disable=not progress, leave=False)
        running = None
        for batch in bar:
            loss = loss_fn(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if recipe.clip:
                torch.nn.utils.clip_grad_norm_(params, recipe.clip)
            optimizer.step()
            schedule.step()
            value = loss.item()
            running = value if running is None else 0.95 * running + 0.05 * value
            bar.set_postfix(loss=f"{running:.3f}", refresh=False)
        bar.close()
        model.eval()
        with torch.no_grad():
            score = float(evaluate())
        history.append(score)
        improved = score > best
        mark = " (best)" if improved else ""
        log(f"epoch {epoch}: train loss {running:.4f}, validation {metric} {score:.4f}{mark}")
        if improved:
            best, best_epoch, waited = score, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
        if on_epoch_end is not None:
            on_epoch_end(epoch, model)
        if not improved and waited >= recipe.patience:
            log(f"early stop: no better validation {metric} for {recipe.patience} epochs")
            break
    model.load_state_dict(best_state)
    model.eval()
    return {"validation": history, "best_epoch": best_epoch, "best_validation": best, "epochs_run": len(history)}
