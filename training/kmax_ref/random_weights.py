"""Random weights for golden fixtures: seeded init, then BatchNorm running statistics
calibrated on real activations so every layer stays O(1) and k-means argmaxes are not
decided by noise."""
import torch
from torch import nn

from .convnext import ConvNeXtBlock
from .layers import ChannelLayerNorm
from .predictor import Predictor
from .semantic_head import run_semantic_head

# Trained kMaX predictions are decisive; random ones are not. Mask-logit BN gammas and the
# class-logit spread make some clusters cross the post-processing thresholds (against the
# ln(9C) void prior) and others not.
MASK_BN_GAMMA = (8.0, 16.0)
CLASS_LOGIT_STD = 4.0


def _uniform(shape, low, high, generator):
    return torch.rand(shape, generator=generator) * (high - low) + low


def randomize(model: nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    normal = lambda shape, std: torch.randn(shape, generator=generator) * std  # noqa: E731
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(normal(module.weight.shape, fan_in ** -0.5))
                if module.bias is not None:
                    module.bias.copy_(normal(module.bias.shape, 0.1))
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
                module.weight.copy_(_uniform(module.weight.shape, 0.5, 1.5, generator))
                module.bias.copy_(normal(module.bias.shape, 0.1))
            elif isinstance(module, (nn.LayerNorm, ChannelLayerNorm)):
                module.weight.copy_(_uniform(module.weight.shape, 0.5, 1.5, generator))
                module.bias.copy_(normal(module.bias.shape, 0.1))
            elif isinstance(module, nn.Embedding):  # relative-position tables, cluster centres
                module.weight.copy_(normal(module.weight.shape, 1.0))
            if isinstance(module, ConvNeXtBlock):
                module.gamma.copy_(_uniform(module.gamma.shape, 0.5, 1.0, generator))
        # After the generic pass, which also visits the predictors' own BNs.
        for module in model.modules():
            if isinstance(module, Predictor):
                # Positive: a negative gamma would reverse the k-means ordering (T16).
                module._pixel_space_mask_batch_norm.weight.copy_(_uniform((1,), *MASK_BN_GAMMA, generator))


def calibrate(model: nn.Module, images: torch.Tensor) -> None:
    """Layer-by-layer BatchNorm calibration in one eval-mode pass. When a BN first sees its
    input x, its running variance becomes the mean over channels of E[x^2] (one shared value),
    so its output has unit scale without centring x or equalising its channels: normalising a
    near-constant channel by its own tiny spread would amplify float rounding many times per
    layer (see training/fixtures/README.md). The running mean is x's real per-channel mean, and
    the bias absorbs it, so the engine's mean path is exercised while the output stays
    gamma * x / scale + beta. The train-only semantic head is calibrated on the same pass's
    backbone features."""
    def set_statistics(norm, inputs):
        x = inputs[0].transpose(0, 1).flatten(1)
        if x.shape[1] > 1:  # e.g. ASPP pooling of one image: one value, keep mean 0 / var 1
            mean = x.mean(dim=1)
            norm.running_mean.copy_(mean)
            norm.running_var.fill_(float(x.square().mean()))
            norm.bias.add_(norm.weight * mean / (norm.running_var + norm.eps).sqrt())
        norm.num_batches_tracked.add_(1)
        handles.pop(norm).remove()

    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
    handles = {norm: norm.register_forward_pre_hook(set_statistics) for norm in norms}
    model.eval()
    with torch.no_grad():
        out = model(images)
        run_semantic_head(model.sem_seg_head.predictor._auxiliary_semantic_predictor, out['features'])
    if handles:
        raise RuntimeError(f'{len(handles)} BatchNorms were not reached by the calibration pass')


def spread_class_logits(model: nn.Module, images: torch.Tensor, std: float = CLASS_LOGIT_STD) -> None:
    """Rescale every class head so its logits (before the void prior) have standard deviation
    `std` on `images`. Class logits feed nothing else, so one pass measures them all."""
    heads = [m._transformer_class_head for m in model.modules() if isinstance(m, Predictor)]
    measured = {}
    handles = [head.register_forward_hook(lambda h, i, o: measured.__setitem__(h, float(o.std())))
               for head in heads]
    with torch.no_grad():
        model.eval()(images)
        for head in heads:
            head.conv.weight.mul_(std / measured[head])
            head.conv.bias.mul_(std / measured[head])
    for handle in handles:
        handle.remove()
