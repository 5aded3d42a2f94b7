"""``InformationCallback``: what each layer keeps of each word of a probe set, over a Hugging Face ``Trainer`` run.

At the start of training (epoch 0: the model before any step, or the epoch a resumed run
starts from) and after every epoch (or every ``every`` epochs, and the last), the callback
explains the probe sentences with the Trainer's model and tokenizer as they are at that
moment into ``out/epoch-K``, a normal run directory (``wordinfo summary out`` shows the
per-epoch table, :func:`wordinfo.report.figures.epoch_figure` draws it). The work is
:class:`wordinfo.runs.probe.Probe`'s, shared with ``wordinfo train --probe``: the model
is left in the mode and on the device it was found, with every random generator as it was,
so a run gives the same weights and metrics with and without the callback.

What the callback reads from the Trainer is what ``CallbackHandler.call_event`` passes
(transformers 5: ``model`` and ``processing_class``; before 4.46: ``tokenizer``). Only the
main process (``state.is_world_process_zero``) explains and writes.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from transformers import TrainerCallback

from ..errors import WordinfoError
from ..runs.probe import Probe

logger = logging.getLogger(__name__)

# the TrainingArguments that shape the weights: a probe folder holding runs made with other values is refused
TRAINING_ARGS = ("seed", "data_seed", "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size",
                 "gradient_accumulation_steps", "weight_decay", "warmup_steps", "warmup_ratio", "lr_scheduler_type",
                 "optim", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "label_smoothing_factor")


class InformationCallback(TrainerCallback):
    """Explain ``probe`` (a file of sentences, one a line or a TSV/JSONL, or a list of sentences) into
    ``out/epoch-K`` at the start of training and after every epoch.

    ``layers``: 'all' or layer numbers; ``every``: 'epoch' or N (every N epochs; the last epoch always);
    ``solver``: wordinfo's solver; ``name``: the series' name in the summary (default: the model's name);
    ``tokenizer``: when the Trainer was given none (``processing_class``); ``explain_options``: ``target``,
    ``precision``, ``seed``, ``calibration``... (:func:`wordinfo.run_corpus`'s and the solver's). The probe
    file and the folder are checked here; each sentence against the model at the start of training, before
    the first step."""

    def __init__(self, probe, out: str | Path, layers="all", every="epoch", solver: str = "default", *,
                 name: str | None = None, tokenizer=None, progress: bool = False, **explain_options):
        self.every = _every(every)
        self.name, self.tokenizer = name, tokenizer
        self.probe = Probe(probe, out, name=name or "model", layers=layers, solver=solver, log=logger.info,
                           warn=logger.warning, progress=progress, **explain_options)
        self.last = None              # the last epoch explained

    @property
    def out(self) -> Path:
        return self.probe.out

    def report(self) -> dict:
        """The epochs explained, where, and the time it took (kept apart from the training's)."""
        return self.probe.report()

    # ---- the Trainer's events
    def on_train_begin(self, args, state, control, model=None, processing_class=None, tokenizer=None, **kwargs):
        if not state.is_world_process_zero:
            return
        if model is None:
            raise WordinfoError("InformationCallback was given no model by the Trainer: use it as "
                                "Trainer(..., callbacks=[InformationCallback(...)])")
        tok = self.tokenizer or processing_class or tokenizer
        tok = getattr(tok, "tokenizer", tok)          # a processor holding a tokenizer
        if tok is None:
            raise WordinfoError("InformationCallback needs the model's tokenizer: pass processing_class=tokenizer "
                                "to the Trainer, or InformationCallback(..., tokenizer=tokenizer)")
        training = {k: getattr(args, k, None) for k in TRAINING_ARGS}
        self.probe.claim({**training, "model": type(model).__name__}, self.name or _model_name(model))
        self.probe.begin(model, tok)
        self._explain(_epoch(state), model, state)

    def on_epoch_end(self, args, state, control, model=None, **kwargs):
        epoch = _epoch(state)
        if state.is_world_process_zero and epoch % self.every == 0:
            self._explain(epoch, model, state)

    def on_train_end(self, args, state, control, model=None, **kwargs):
        epoch = _epoch(state)
        if state.is_world_process_zero and self.last is not None and epoch != self.last:
            self._explain(epoch, model, state)        # the last epoch, whatever ``every`` says

    def _explain(self, epoch: int, model, state) -> None:
        self.probe.explain(epoch, model, step=int(state.global_step), trainer_epoch=float(state.epoch or 0.0))
        self.last = epoch


def _every(every) -> int:
    if every == "epoch":
        return 1
    if isinstance(every, int) and not isinstance(every, bool) and every >= 1:
        return every
    raise WordinfoError(f"every={every!r}: use 'epoch' or a whole number of epochs >= 1")


def _epoch(state) -> int:
    """The epoch the Trainer is at: whole epochs done (``state.epoch`` is fractional within an epoch; a run
    stopped mid-epoch by ``max_steps`` counts the epoch it stopped in)."""
    done = float(state.epoch or 0.0)
    return round(done) if abs(done - round(done)) < 1e-4 else math.ceil(done)


def _model_name(model) -> str:
    name = getattr(getattr(model, "config", None), "name_or_path", None)
    return Path(str(name)).name if name else type(model).__name__
