"""Leave-one-out erasure (occlusion of one word; Li et al., 2016): Captum's ``FeatureAblation``
with one feature per word."""

from __future__ import annotations

from captum.attr import FeatureAblation

from ._utils import ExplainedScalar, rows_per_pass
from .base import Method


class Erasure(Method):
    """``f(x) - f(x with word i replaced by the deletion token)``: all pieces of a word at
    once, special tokens never erased. Word-level: every piece holds its word's score."""
    name = "erasure"
    token_level = False

    def token_scores(self, ctx, sentence, targets, seed):
        f = ExplainedScalar(ctx, sentence, targets)
        x, row_target = f.rows()
        baseline, _ = f.rows(reference=True)
        feature_mask = sentence.token_word.view(1, -1, 1).expand(1, -1, x.shape[-1])
        per_eval = max(1, rows_per_pass(sentence, len(targets)) // len(targets))
        attr = FeatureAblation(f).attribute(x, baselines=baseline, feature_mask=feature_mask,
                                            additional_forward_args=(row_target,),
                                            perturbations_per_eval=min(per_eval, len(sentence.word_map.words)))
        return attr[..., 0].detach().numpy()
