"""Primitives shared by every module (spec 3.1): BatchNorm with eps 1e-3, channel
LayerNorm with eps 1e-6, exact GELU, conv+BN blocks named like the PT checkpoints."""
import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
# PyTorch momentum 0.01 == Keras/TF 0.99 (spec 4); irrelevant at inference.
BN_MOMENTUM = 0.01
LN_EPS = 1e-6


def gelu(x: torch.Tensor) -> torch.Tensor:
    """Exact erf GELU (T17); never the tanh approximation."""
    return F.gelu(x)


def batch_norm(channels: int, rank: int = 2) -> nn.Module:
    """BN over dim 1; rank 1 for [N, C, L] sequences, rank 2 for [N, C, H, W] maps."""
    kind = nn.BatchNorm1d if rank == 1 else nn.BatchNorm2d
    return kind(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class ConvBN(nn.Module):
    """Convolution (`.conv`) -> optional BN (`.norm`) -> optional GELU.

    `rank=1` is PT's Conv1d with kernel 1 on [N, C, L] (cluster centres, axial qkv);
    `rank=2` a Conv2d on [N, C, H, W]. Padding is symmetric, as in PT (3.1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, *, rank: int = 2,
                 groups: int = 1, bias: bool = False, norm: bool = True, act: bool = False,
                 dilation: int = 1, stride: int = 1):
        super().__init__()
        conv = nn.Conv1d if rank == 1 else nn.Conv2d
        padding = dilation * (kernel_size - 1) // 2
        self.conv = conv(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias)
        self.norm = batch_norm(out_channels, rank) if norm else None
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return gelu(x) if self.act else x


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis of an NCHW map (biased variance, eps 1e-6)."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.permute(0, 2, 3, 1), self.weight.shape, self.weight, self.bias, LN_EPS)
        return y.permute(0, 3, 1, 2)


def resize_bilinear(x: torch.Tensor, size, align_corners: bool) -> torch.Tensor:
    """PT decides align_corners by a parity rule at every call site (spec 1.3, T21)."""
    return F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=align_corners)
