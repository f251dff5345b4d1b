"""deeplab2's Axial-ResNet pixel encoder, `kmax_axial_resnet50` = MaX-S with GeLU
(deeplab2 model/pixel_encoder/axial_resnet.py: backbone_type 'resnet_beta',
use_axial_beyond_stride 16, no memory path, classification mode).

Inception stem: 3x3/2 + BN + GeLU, 3x3 + BN + GeLU, 3x3 + BN (its output, not activated, is
the stride-2 `stem` endpoint). Four stages of deeplab2 AxialBlocks (the pixel decoder's
DecoderBlock: activate the input, conv1, spatial layer, conv3, + shortcut, not activated),
the first block of each stage carrying stride 2 in its spatial layer and shortcut. A block
whose input stride is >= `axialFromStride` is an axial block (filters [2b, b, 4b], axial
attention with key depth b and value depth 2b), the others are bottlenecks ([b, b, 4b],
3x3 conv): in MaX-S, res4's blocks after the first and all of res5. Drop path is off at
inference. Names follow deeplab2's modules in kMaX-PT ConvBN style (`.conv` / `.norm`)."""
from torch import nn

from .layers import ConvBN
from .pixel_decoder import DecoderBlock


class InceptionStem(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self._conv1_bn_act = ConvBN(3, widths[0], 3, stride=2, act=True)
        self._conv2_bn_act = ConvBN(widths[0], widths[0], 3, act=True)
        self._conv3_bn = ConvBN(widths[0], widths[1], 3)

    def forward(self, x):
        return self._conv3_bn(self._conv2_bn_act(self._conv1_bn_act(x)))


def is_axial(config: dict, stage: int, block: int) -> bool:
    """Stage 0..3 = res2..res5; a stage's input stride is 2^(stage+1), doubled after block 0."""
    input_stride = 2 ** (stage + 1) if block == 0 else 2 ** (stage + 2)
    return input_stride >= config['axialFromStride']


class AxialResNet(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        self.stem = InceptionStem(config['stemChannels'])
        in_channels = config['stemChannels'][1]
        for s, (depth, base) in enumerate(zip(config['depths'], config['bases'])):
            blocks = []
            for b in range(depth):
                kind = 'axial' if is_axial(config, s, b) else 'bottleneck'
                blocks.append(DecoderBlock(in_channels, base, kind, config['axialHeads'], stride=2 if b == 0 else 1))
                in_channels = 4 * base
            setattr(self, f'res{s + 2}', nn.Sequential(*blocks))
        self.channels = {'stem': config['stemChannels'][1],
                         **{f'res{s + 2}': 4 * base for s, base in enumerate(config['bases'])}}

    def forward(self, x):
        x = self.stem(x)
        features = {'stem': x}
        for name in ('res2', 'res3', 'res4', 'res5'):
            x = getattr(self, name)(x)
            features[name] = x
        return features
