"""ResNet backbone (spec 3.2) in two variants sharing one state-dict layout:
'pytorch' = detectron2 (7x7 stem + ReLU + max-pool, post-ReLU endpoints);
'tf' = deeplab2 (no max-pool, stride-2 first block of res2, blocks activate their input,
pre-activation endpoints, stem without activation)."""
import torch
import torch.nn.functional as F
from torch import nn

from .layers import batch_norm


class NormedConv2d(nn.Conv2d):
    """detectron2's Conv2d with a `.norm` child: keys `X.weight`, `X.norm.*`."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride,
                         padding=(kernel_size - 1) // 2, bias=False)
        self.norm = batch_norm(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(super().forward(x))


class Stem(nn.Module):
    def __init__(self, out_channels: int):
        super().__init__()
        self.conv1 = NormedConv2d(3, out_channels, 7, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1(x)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (carries the stride) -> 1x1, projection shortcut when the shape changes."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, stride: int,
                 pre_activation: bool):
        super().__init__()
        # Registered first: PT checkpoints list `shortcut` before `conv1`.
        self.shortcut = (NormedConv2d(in_channels, out_channels, 1, stride)
                         if in_channels != out_channels or stride != 1 else None)
        self.conv1 = NormedConv2d(in_channels, mid_channels, 1)
        self.conv2 = NormedConv2d(mid_channels, mid_channels, 3, stride)
        self.conv3 = NormedConv2d(mid_channels, out_channels, 1)
        self.pre_activation = pre_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre_activation:
            x = F.relu(x)
        shortcut = x if self.shortcut is None else self.shortcut(x)
        y = F.relu(self.conv1(x))
        y = F.relu(self.conv2(y))
        y = self.conv3(y) + shortcut
        return y if self.pre_activation else F.relu(y)


class ResNet(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        self.variant = config['variant']
        tf = self.variant == 'tf'
        self.stem = Stem(config['stemChannels'])
        in_channels = config['stemChannels']
        for index, (depth, mid, out) in enumerate(
                zip(config['depths'], config['bottleneckChannels'], config['outChannels'])):
            # PT's max-pool already halved res2's input; TF strides res2's first block instead.
            first_stride = 1 if index == 0 and not tf else 2
            blocks = [Bottleneck(in_channels if b == 0 else out, mid, out,
                                 first_stride if b == 0 else 1, pre_activation=tf)
                      for b in range(depth)]
            setattr(self, f'res{index + 2}', nn.Sequential(*blocks))
            in_channels = out
        self.channels = {'stem': config['stemChannels'],
                         **{f'res{i + 2}': c for i, c in enumerate(config['outChannels'])}}

    def forward(self, x: torch.Tensor) -> dict:
        x = self.stem(x)
        if self.variant == 'pytorch':
            # Padding never wins the max: the input is post-ReLU (>= 0).
            x = F.max_pool2d(F.relu(x), kernel_size=3, stride=2, padding=1)
        features = {'stem': x}
        for name in ('res2', 'res3', 'res4', 'res5'):
            x = getattr(self, name)(x)
            features[name] = x
        return features
