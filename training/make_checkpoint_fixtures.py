"""Tiny checkpoint files for the TypeScript checkpoint-reader tests.

Writes src/checkpoints/testdata/. Values are deterministic (aranges), so the tests
can state the expected numbers directly. Run with /usr/bin/python3 (torch 1.13,
numpy 1.24):

    /usr/bin/python3 training/make_checkpoint_fixtures.py
"""

import collections
import io
import os
import pickle
import pickletools
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'checkpoints', 'testdata')


def views_state_dict():
    """float32/float16/bfloat16/int64 tensors, contiguous and strided views."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    sd = collections.OrderedDict()
    sd['f32'] = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    sd['f16'] = torch.tensor([0.5, -2.0, 65504.0, 1e-7], dtype=torch.float16)
    sd['bf16'] = torch.tensor([1.5, -3.0, 256.0], dtype=torch.bfloat16)
    sd['i64'] = torch.tensor(-5, dtype=torch.int64)  # a scalar, like num_batches_tracked
    sd['i32'] = torch.tensor([7, -8], dtype=torch.int32)
    sd['u8'] = torch.tensor([1, 255], dtype=torch.uint8)
    sd['transposed'] = base.t()  # shape [6, 4], stride (1, 6)
    sd['sliced'] = base[1:, 2:5]  # shape [3, 3], offset 8, stride (6, 1)
    sd['shared'] = base[2]  # same storage as the two above, offset 12
    sd['param'] = torch.nn.Parameter(torch.tensor([3.0, 4.0]))  # pickled via _rebuild_parameter
    return sd


def module_state_dict():
    """A real nn.Module state dict: OrderedDict with _metadata (BUILD), num_batches_tracked."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, bias=False), torch.nn.BatchNorm2d(3))
    return module.state_dict()


class RunsCommand:
    """Pickles as os.system(...): a reader that executes globals would create the file."""

    def __reduce__(self):
        return (os.system, ('touch /tmp/kmax-lens-pwned',))


def save(name, data):
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        f.write(data)
    print(f'{name}: {len(data)} bytes')


def torch_bytes(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def rewritten_zip(data, byteorder=None, compression=zipfile.ZIP_STORED):
    """Re-packs a torch.save zip: optionally big-endian records + a byteorder record
    (what torch>=2.1 writes on big-endian hosts), optionally deflated entries."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', compression=compression) as target:
        for info in source.infolist():
            content = source.read(info)
            if byteorder == 'big' and '/data/' in info.filename:
                content = np.frombuffer(content, dtype='<f4').astype('>f4').tobytes()
            target.writestr(info.filename, content)
        if byteorder is not None:
            target.writestr('archive/byteorder', byteorder)
    return buf.getvalue()


def numpy_state(protocol):
    model = {
        'a': np.arange(6, dtype=np.float32).reshape(2, 3),
        'h': np.array([0.5, -2.0], dtype=np.float16),
        'n': np.array(9, dtype=np.int64),
        'b': np.array([True, False]),
    }
    return pickle.dumps({'model': model, '__author__': 'third_party', 'matching_heuristics': True}, protocol=protocol)


def npy_bytes(array, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    save('views.pt', torch_bytes({'model': views_state_dict(), 'iteration': 7, 'optimizer': {'lr': 0.1}}))
    save('bare_module.pt', torch_bytes(module_state_dict()))
    floats = torch_bytes({'w': torch.tensor([1.0, -2.0, 3.5]), 'v': torch.arange(4.0).reshape(2, 2).t()})
    save('big_endian.pt', rewritten_zip(floats, byteorder='big'))
    save('deflated.pt', rewritten_zip(floats, compression=zipfile.ZIP_DEFLATED))
    save('legacy.pt', torch_bytes(module_state_dict(), _use_new_zipfile_serialization=False))
    save('disallowed_global.pt', torch_bytes({'model': {'w': torch.zeros(1)}, 'payload': RunsCommand()}))
    save('disallowed_global.pkl', pickle.dumps({'model': {}, 'payload': RunsCommand()}, protocol=2))
    for protocol in (2, 4, 5):
        save(f'numpy_p{protocol}.pkl', numpy_state(protocol))
    save('f4.npy', npy_bytes(np.arange(6, dtype='<f4').reshape(2, 3)))
    save('f4_v2.npy', npy_bytes(np.arange(6, dtype='<f4').reshape(3, 2), version=(2, 0)))
    save('f4_v3.npy', npy_bytes(np.arange(4, dtype='<f4'), version=(3, 0)))
    save('i8.npy', npy_bytes(np.array([-1, 2**40], dtype='<i8')))
    save('i4.npy', npy_bytes(np.array([[-7]], dtype='<i4')))
    save('f2.npy', npy_bytes(np.array([1.0, -0.25], dtype='<f2')))
    save('u1.npy', npy_bytes(np.array([0, 200], dtype='|u1')))
    save('b1.npy', npy_bytes(np.array([True, False, True])))
    save('scalar.npy', npy_bytes(np.array(2.5, dtype='<f4')))
    save('fortran.npy', npy_bytes(np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3))))
    save('big_endian.npy', npy_bytes(np.arange(3, dtype='>f4')))
    save('complex.npy', npy_bytes(np.zeros(2, dtype='<c8')))
    # Show that the payload pickle really names the global the test expects.
    pickletools.dis(pickle.dumps(RunsCommand(), protocol=2))


if __name__ == '__main__':
    main()
