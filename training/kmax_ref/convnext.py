"""ConvNeXt backbone (spec 3.3). The zero padding of every downsample layer comes before
its first sub-layer, so in layers 1-3 the padded row/column passes through the LN (T14)."""
import torch
import torch.nn.functional as F
from torch import nn

from .layers import LN_EPS, ChannelLayerNorm, gelu


class PaddedSequential(nn.Sequential):
    """nn.Sequential that zero-pads first (F.pad order: left, right, top, bottom); the padding
    owns no weights, so the sub-layer indices stay those of the checkpoint."""

    def __init__(self, padding, *layers: nn.Module):
        super().__init__(*layers)
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.padding))


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=LN_EPS)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        y = self.gamma * self.pwconv2(gelu(self.pwconv1(y)))
        return x + y.permute(0, 3, 1, 2)


class ConvNeXt(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        dims = config['dims']
        self.downsample_layers = nn.ModuleList(
            [PaddedSequential((1, 2, 1, 2), nn.Conv2d(3, dims[0], 4, stride=4), ChannelLayerNorm(dims[0]))]
            + [PaddedSequential((0, 1, 0, 1), ChannelLayerNorm(dims[i - 1]), nn.Conv2d(dims[i - 1], dims[i], 2, stride=2))
               for i in range(1, 4)])
        self.stages = nn.ModuleList(
            nn.Sequential(*[ConvNeXtBlock(dim) for _ in range(depth)])
            for depth, dim in zip(config['depths'], dims))
        self.channels = {'stem': dims[0], **{f'res{i + 2}': d for i, d in enumerate(dims)}}

    def forward(self, x: torch.Tensor) -> dict:
        features = {}
        for index, (downsample, stage) in enumerate(zip(self.downsample_layers, self.stages)):
            x = downsample(x)
            if index == 0:
                features['stem'] = x  # stride 4, although PT declares it stride 2
            x = stage(x)
            features[f'res{index + 2}'] = x
        return features
