"""kMaX pixel decoder (spec 3.4): LayerNorm'ed backbone features, coarse-to-fine stages of
axial or bottleneck blocks, joined by ResizedFuse. Stage outputs are not activated (T11)."""
import torch
from torch import nn

from .axial_attention import Axial2D
from .layers import ChannelLayerNorm, ConvBN, gelu, resize_bilinear


class DecoderBlock(nn.Module):
    """Activates its own input, returns conv3_bn + shortcut without activation. deeplab2's
    AxialBlock, also MaX-S's backbone block: there the spatial layer and the shortcut may
    carry a stride."""

    def __init__(self, in_channels: int, base: int, kind: str, heads: int, stride: int = 1):
        super().__init__()
        out_channels = 4 * base
        if stride != 1 and in_channels == out_channels:
            raise ValueError('a strided block needs a projection shortcut')
        if kind == 'axial':
            self._conv1_bn_act = ConvBN(in_channels, 2 * base, act=True)
            self._attention = Axial2D(2 * base, base, heads, stride)
            mid_channels = 2 * base
        else:
            self._conv1_bn_act = ConvBN(in_channels, base, act=True)
            self._conv2_bn_act = ConvBN(base, base, 3, act=True, stride=stride)
            mid_channels = base
        self._conv3_bn = ConvBN(mid_channels, out_channels)
        self._shortcut = (ConvBN(in_channels, out_channels, stride=stride)
                          if in_channels != out_channels else None)
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = gelu(x)
        shortcut = a if self._shortcut is None else self._shortcut(a)
        y = self._conv1_bn_act(a)
        y = gelu(self._attention(y)) if self.kind == 'axial' else self._conv2_bn_act(y)
        return self._conv3_bn(y) + shortcut


class DecoderStage(nn.Module):
    def __init__(self, in_channels: int, stage: dict, heads: int):
        super().__init__()
        base = stage['base']
        self._blocks = nn.ModuleList(
            DecoderBlock(in_channels if b == 0 else 4 * base, base, stage['type'], heads)
            for b in range(stage['blocks']))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self._blocks:
            x = block(x)
        return x


class ResizedFuse(nn.Module):
    """low (coarse stage output) resized onto high (finer LN'd feature), both projected to
    `out_channels`; a branch that already has that width passes through untouched (T10)."""

    def __init__(self, low_channels: int, high_channels: int, out_channels: int):
        super().__init__()
        self._conv_bn_low = ConvBN(low_channels, out_channels) if low_channels != out_channels else None
        self._conv_bn_high = ConvBN(high_channels, out_channels) if high_channels != out_channels else None

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        if self._conv_bn_low is not None:
            low = self._conv_bn_low(gelu(low))
        # PT: align_corners iff the low-resolution width is odd (T21).
        low = resize_bilinear(low, high.shape[-2:], align_corners=low.shape[-1] % 2 == 1)
        if self._conv_bn_high is not None:
            high = self._conv_bn_high(gelu(high))
        return low + high


class PixelDecoder(nn.Module):
    def __init__(self, in_channels: list, config: dict):
        super().__init__()
        stages = config['stages']
        self._in_norms = nn.ModuleList(ChannelLayerNorm(c) for c in in_channels)
        self._stages = nn.ModuleList(
            DecoderStage(in_channels[0] if i == 0 else stages[i]['base'], stage, config['axialHeads'])
            for i, stage in enumerate(stages))
        self._resized_fuses = nn.ModuleList(
            ResizedFuse(4 * stages[i]['base'], in_channels[i + 1], stages[i + 1]['base'])
            for i in range(len(stages) - 1))
        self.out_channels = [4 * stage['base'] for stage in stages]

    def forward(self, features: list) -> list:
        """features: backbone maps coarse to fine; returns every stage output."""
        outputs = []
        x = self._in_norms[0](features[0])
        for i, stage in enumerate(self._stages):
            x = stage(x)
            outputs.append(x)
            if i < len(self._resized_fuses):
                x = self._resized_fuses[i](x, self._in_norms[i + 1](features[i + 1]))
        return outputs
