"""Axial-DeepLab position-sensitive attention (spec 3.4, T5-T9): 1-D attention with query,
key and value relative-position terms, each normalised by its own BatchNorm, no 1/sqrt(d)."""
import torch
from torch import nn

from .layers import ConvBN, batch_norm

MAX_SPAN = 255
TABLE_ROWS = 2 * MAX_SPAN - 1  # 509


class RelativePositionEmbedding(nn.Module):
    def __init__(self, depth: int):
        super().__init__()
        self._embeddings = nn.Embedding(TABLE_ROWS, depth)

    def forward(self, length: int) -> torch.Tensor:
        """E[l, m] = T[m - l + 254] for query position l and key position m: [L, L, depth]."""
        if length > MAX_SPAN:
            raise ValueError(f'axial length {length} exceeds {MAX_SPAN}')
        positions = torch.arange(length, device=self._embeddings.weight.device)
        index = positions[None, :] - positions[:, None] + (MAX_SPAN - 1)
        return self._embeddings.weight[index]


class AxialAttention1D(nn.Module):
    """Attention along the last axis of [B, C, L]; returns [B, value_channels, L]."""

    def __init__(self, in_channels: int, key_channels: int, value_channels: int, heads: int):
        super().__init__()
        self.key_channels, self.value_channels, self.heads = key_channels, value_channels, heads
        self.qkv_transform = ConvBN(in_channels, 2 * key_channels + value_channels, rank=1, norm=False)
        self._query_rpe = RelativePositionEmbedding(key_channels // heads)
        self._key_rpe = RelativePositionEmbedding(key_channels // heads)
        self._value_rpe = RelativePositionEmbedding(value_channels // heads)
        self._batch_norm_qkv = batch_norm(2 * key_channels + value_channels, rank=1)
        # [content x heads, query-rpe x heads, key-rpe x heads] (T7).
        self._batch_norm_similarity = batch_norm(3 * heads)
        # [content values | rpe values] (T7).
        self._batch_norm_retrieved_output = batch_norm(2 * value_channels, rank=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, length = x.shape
        h, ck, cv = self.heads, self.key_channels, self.value_channels
        qkv = self._batch_norm_qkv(self.qkv_transform(x))
        q, k, v = torch.split(qkv, [ck, ck, cv], dim=1)
        q = q.reshape(batch, h, ck // h, length)
        k = k.reshape(batch, h, ck // h, length)
        v = v.reshape(batch, h, cv // h, length)
        eq, ek, ev = (rpe(length) for rpe in (self._query_rpe, self._key_rpe, self._value_rpe))
        content = torch.einsum('bhdl,bhdm->bhlm', q, k)
        query_position = torch.einsum('bhdl,lmd->bhlm', q, eq)
        key_position = torch.einsum('bhdm,lmd->bhlm', k, ek)
        similarity = self._batch_norm_similarity(torch.cat([content, query_position, key_position], dim=1))
        weights = similarity.reshape(batch, 3, h, length, length).sum(dim=1).softmax(dim=-1)
        retrieved_content = torch.einsum('bhlm,bhdm->bhdl', weights, v).reshape(batch, cv, length)
        retrieved_position = torch.einsum('bhlm,lmd->bhdl', weights, ev).reshape(batch, cv, length)
        retrieved = self._batch_norm_retrieved_output(torch.cat([retrieved_content, retrieved_position], dim=1))
        return retrieved.reshape(batch, 2, cv, length).sum(dim=1)


class Axial2D(nn.Module):
    """Height pass (every column a sequence) then width pass (every row), T9. With a stride
    (MaX-S's first res5 block), deeplab2 keeps every stride-th row after the height pass and
    every stride-th column after the width pass."""

    def __init__(self, in_channels: int, base: int, heads: int, stride: int = 1):
        super().__init__()
        self._height_axis = AxialAttention1D(in_channels, base, 2 * base, heads)
        self._width_axis = AxialAttention1D(2 * base, base, 2 * base, heads)
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, height, width = x.shape
        columns = x.permute(0, 3, 1, 2).reshape(n * width, c, height)
        y = self._height_axis(columns).reshape(n, width, -1, height).permute(0, 2, 3, 1)
        y = y[:, :, ::self.stride]
        height = y.shape[2]
        rows = y.permute(0, 2, 1, 3).reshape(n * height, -1, width)
        y = self._width_axis(rows).reshape(n, height, -1, width).permute(0, 2, 1, 3)
        return y[:, :, :, ::self.stride]
