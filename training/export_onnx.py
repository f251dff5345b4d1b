"""Exports a model folder's network (backbone + pixel decoder + kMaX decoder + heads, no pre- or
post-processing) to ONNX through the PyTorch reference, for the peer benchmark (bench/peers.ts).

    /usr/bin/python3 training/export_onnx.py --model models/demo --size 129 --out /tmp/demo.onnx

The folder's weights (official state-dict names, tfjs layouts, float32 or float16 storage) are put
back into PyTorch layouts and loaded into kmax_ref.KMaXDeepLab with strict key checking. The graph
takes `input` [1, 3, S, S] (normalised, padded, spec 2.1) and returns `pred_logits` [1, K, C+1]
and `pred_masks` [1, K, S/4, S/4] (k-means cross-attention). torch.onnx.export needs no `onnx`
package.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).parent))
from kmax_ref import KMaXDeepLab  # noqa: E402

STORAGE = {'float32': np.float32, 'float16': np.float16}


def read_model_folder(folder: Path):
    """model.json + shards -> (config, {name: float32 array in the engine layout})."""
    meta = json.loads((folder / 'model.json').read_text())
    tensors = {}
    for group in meta['weightsManifest']:
        data = b''.join((folder / p).read_bytes() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            stored = w.get('quantization', {}).get('dtype', w['dtype'])
            if stored not in STORAGE:
                raise ValueError(f"{w['name']}: storage {stored} is not float32 or float16")
            dtype = np.dtype(STORAGE[stored])
            count = int(np.prod(w['shape'], dtype=np.int64))
            end = offset + count * dtype.itemsize
            if end > len(data):
                raise ValueError(f"{w['name']}: the shards end at byte {len(data)}, the weight needs {end}")
            tensors[w['name']] = np.frombuffer(data[offset:end], dtype).astype(np.float32).reshape(w['shape'])
            offset = end
    return meta['config'], tensors


def to_torch_layout(key: str, module: nn.Module, array: np.ndarray, target: torch.Size) -> torch.Tensor:
    """Inverse of src/checkpoints/key-maps/layouts.ts: HWIO, [k,k,C,1], [in,out], [K,C] -> PyTorch."""
    t = torch.from_numpy(np.ascontiguousarray(array))
    if isinstance(module, nn.Conv2d) and t.dim() == 4:
        depthwise = module.groups > 1 and module.groups == module.in_channels
        t = t.permute(2, 3, 0, 1) if depthwise else t.permute(3, 2, 0, 1)
    elif isinstance(module, nn.Conv1d) and t.dim() == 2:
        t = t.t().unsqueeze(-1)
    elif isinstance(module, nn.Linear) or key.endswith('_cluster_centers.weight'):
        t = t.t()  # relative-position tables (also nn.Embedding) keep their layout
    if t.shape != target:
        raise ValueError(f'{key}: shape {list(array.shape)} does not map to {list(target)} for {type(module).__name__}')
    return t.contiguous()


def load_model(folder: Path) -> KMaXDeepLab:
    config, tensors = read_model_folder(folder)
    model = KMaXDeepLab(config).eval()
    modules = dict(model.named_modules())
    expected = model.state_dict()
    state = {}
    for key, target in expected.items():
        # Training-only parts (the auxiliary semantic head) are not in model folders.
        if key.endswith('num_batches_tracked') or '_auxiliary_semantic_predictor.' in key:
            state[key] = target
            continue
        if key not in tensors:
            raise KeyError(f'{folder}: the model folder has no weight {key}')
        state[key] = to_torch_layout(key, modules[key.rsplit('.', 1)[0]], tensors[key], target.shape)
    unused = sorted(set(tensors) - set(state))
    if unused:
        raise KeyError(f'{folder}: weights the reference does not use: {unused[:5]}')
    model.load_state_dict(state, strict=True)
    return model


class Network(nn.Module):
    """The network alone: normalised input -> final class and mask logits."""

    def __init__(self, model: KMaXDeepLab):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor):
        out = self.model(images, 'kmeans')
        return out['pred_logits'], out['pred_masks']


def static_sizes():
    """While tracing, shapes are tensors, and F.interpolate rejects sizes and align_corners computed
    from them: the graph is for one input size, so they are made constants."""
    interpolate = F.interpolate

    def with_int_size(x, size=None, scale_factor=None, mode='nearest', align_corners=None, **kwargs):
        size = None if size is None else tuple(int(s) for s in size)
        align_corners = None if align_corners is None else bool(align_corners)
        return interpolate(x, size, scale_factor, mode, align_corners, **kwargs)
    return with_int_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', required=True, type=Path, help='model folder (model.json + shards)')
    parser.add_argument('--size', required=True, type=int, help='square input size S (the engine pads to it)')
    parser.add_argument('--out', required=True, type=Path)
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--check', type=Path, help='write the reference outputs on a seeded input to this .npz')
    args = parser.parse_args()
    network = Network(load_model(args.model)).eval()
    images = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (1, 3, args.size, args.size)).astype(np.float32))
    F.interpolate = static_sizes()
    with torch.no_grad():
        torch.onnx.export(network, (images,), str(args.out), input_names=['input'],
                          output_names=['pred_logits', 'pred_masks'], opset_version=args.opset, do_constant_folding=True)
        if args.check is not None:
            logits, masks = network(images)
            np.savez(args.check, input=images.numpy(), pred_logits=logits.numpy(), pred_masks=masks.numpy())
    print(f'{args.out}: {args.out.stat().st_size / 1e6:.1f} MB, input [1, 3, {args.size}, {args.size}]')
    return 0


if __name__ == '__main__':
    sys.exit(main())
