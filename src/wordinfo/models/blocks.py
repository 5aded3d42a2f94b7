"""Building blocks of the native models: attention blocks, a masked LSTM layer, masked pooling.

Written out rather than taken from ``torch.nn.Transformer*``/``MultiheadAttention``:
those switch to a fused "fast path" when no gradient is needed, so a clean forward
pass and a noisy one (with gradients) would take different code paths and differ
in the last bits. Here both are the same arithmetic. Every block is padding-safe:
padded positions never change the states of real ones.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Attention(nn.Module):
    """Multi-head scaled dot-product attention; ``keep [N, 1 or n_q, n_k]`` marks the keys each query may see."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads, self.dropout = heads, dropout
        self.q, self.k, self.v, self.out = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, query: torch.Tensor, memory: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        n, lq, d = query.shape
        split = lambda t: t.view(n, -1, self.heads, d // self.heads).transpose(1, 2)
        out = F.scaled_dot_product_attention(split(self.q(query)), split(self.k(memory)), split(self.v(memory)),
                                             attn_mask=keep[:, None], dropout_p=self.dropout if self.training else 0.0)
        return self.out(out.transpose(1, 2).reshape(n, lq, d))


class EncoderBlock(nn.Module):
    """Self-attention then a feed-forward layer, each with a residual and a LayerNorm after it (as in BERT)."""

    def __init__(self, dim: int, heads: int, ff: int, dropout: float):
        super().__init__()
        self.attn = Attention(dim, heads, dropout)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.GELU(), nn.Linear(ff, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm1(h + self.drop(self.attn(h, h, mask[:, None, :])))
        return self.norm2(h + self.drop(self.ff(h)))


class DecoderBlock(nn.Module):
    """Causal self-attention over the decoder steps, attention over the encoder's states, feed-forward."""

    def __init__(self, dim: int, heads: int, ff: int, dropout: float):
        super().__init__()
        self.self_attn, self.cross_attn = Attention(dim, heads, dropout), Attention(dim, heads, dropout)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.GELU(), nn.Linear(ff, dim))
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor) -> torch.Tensor:
        steps = h.shape[1]
        causal = torch.ones(steps, steps, dtype=torch.bool, device=h.device).tril()[None]
        h = self.norm1(h + self.drop(self.self_attn(h, h, causal)))
        h = self.norm2(h + self.drop(self.cross_attn(h, memory, memory_mask[:, None, :])))
        return self.norm3(h + self.drop(self.ff(h)))


def run_lstm(lstm: nn.LSTM, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """One ``nn.LSTM`` over padded sequences ``[N, n, K]``; padded positions come out as zeros.

    Sequences are packed when the batch is padded, so a backward direction starts at each
    sequence's own last token, never on padding.
    """
    lengths = mask.sum(1)
    if bool((lengths == mask.shape[1]).all()):
        return lstm(h)[0]
    packed = pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, _ = lstm(packed)
    return pad_packed_sequence(out, batch_first=True, total_length=mask.shape[1])[0]


def masked_mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask[..., None].to(h.dtype)
    return (h * m).sum(1) / m.sum(1).clamp_min(1)


def masked_max(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return h.masked_fill(~mask[..., None], float("-inf")).amax(1)


def last_state(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each sequence's state at its own last real position."""
    return h[torch.arange(h.shape[0], device=h.device), mask.sum(1) - 1]
