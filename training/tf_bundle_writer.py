#!/usr/bin/python3
"""Writes TensorFlow V2 checkpoints ("tensor bundles") with numpy only, for tests.

A bundle is `<prefix>.index` (a LevelDB-style sorted table: data blocks of
prefix-compressed keys with restart points, a metaindex block, an index block and a
48-byte footer; every block followed by a compression byte and a masked CRC-32C) and
`<prefix>.data-00000-of-00001` (the tensors' little-endian bytes). Each index entry
is a BundleEntryProto; the empty key holds the BundleHeaderProto. The layout follows
tensorflow/core/lib/io/{format,block_builder,table_builder}.cc and
tensorflow/core/util/tensor_bundle/tensor_bundle.cc; TensorFlow itself is not needed.

Modes:
  --testdata DIR     the small bundle the TypeScript reader tests use (tiny blocks,
                     so there are many data blocks, restarts and shared key prefixes),
                     its index again with Snappy-compressed blocks (small-snappy.index),
                     and an SSTable written by LevelDB itself (libleveldb, Snappy)
  --fixture NAME     training/fixtures/NAME/checkpoint.pth (a PyTorch kMaX checkpoint)
                     rewritten under deeplab2's TF names and layouts (spec 8.3, inverted;
                     the train-only semantic head is left out), written to --out PREFIX
                     (default src/checkpoints/tf-bundle/testdata/NAME/ckpt-1.*)
  --deeplab2-archive PATH
                     with --fixture: the fixture as deeplab2 publishes its checkpoints,
                     a .tar.gz of a folder holding ckpt-150000.{index,data-00000-of-00001}
                     (with Adam slots, counters and --snappy index blocks), TF's
                     `checkpoint` state file and a training config textproto whose
                     crop size and thresholds differ from the defaults; byte-reproducible
  --snappy           compress index blocks with Snappy (python3-snappy, i.e. Google's
                     libsnappy) where that saves at least 1/8, as TensorFlow's table
                     builder does: some blocks end up compressed (type 1), others not.
                     With --fixture and no --out: only testdata/NAME/snappy/ckpt-1.index
                     is kept, its data shard being the plain bundle's byte for byte
"""
import argparse
import json
import os
import re
import struct

import numpy as np

# ---------------------------------------------------------------- CRC-32C ---

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1  # reflected Castagnoli polynomial
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C of `data`, continuing from `crc` (pure Python: no numpy-only alternative)."""
    crc ^= 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask_crc(crc):
    """TensorFlow's masked CRC: rotate right by 15 bits and add a constant."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# ------------------------------------------------------------- encodings ---

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # negative int64 values are encoded as 10-byte two's complement
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def pb_varint_field(field, value):
    return varint(field << 3) + varint(value) if value != 0 else b''  # proto3 omits zeros


def pb_message_field(field, payload):
    return varint((field << 3) | 2) + varint(len(payload)) + payload


DT_FLOAT, DT_STRING, DT_INT64 = 1, 7, 9


def encode_header(num_shards=1):
    version = pb_varint_field(1, 1)  # producer = kTensorBundleVersion; min_consumer 0 is omitted
    return pb_varint_field(1, num_shards) + pb_message_field(3, version)  # endianness LITTLE = 0, omitted


def encode_entry(dtype, shape, offset, size, crc):
    dims = b''.join(pb_message_field(2, pb_varint_field(1, d)) for d in shape)
    return (pb_varint_field(1, dtype) + pb_message_field(2, dims)  # a scalar's empty shape is still written
            + pb_varint_field(4, offset) + pb_varint_field(5, size)
            + varint((6 << 3) | 5) + struct.pack('<I', crc))


# ---------------------------------------------------------------- SSTable ---

class BlockBuilder:
    """Entries `varint shared | varint unshared | varint value_len | key delta | value`, restarts at the end."""

    def __init__(self, restart_interval):
        self.restart_interval = restart_interval
        self.reset()

    def reset(self):
        self.buf = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b''
        self.count = 0

    def add(self, key, value):
        shared = 0
        if self.counter < self.restart_interval:
            limit = min(len(key), len(self.last_key))
            while shared < limit and key[shared] == self.last_key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.counter = 0
        self.buf += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        self.last_key = key
        self.counter += 1
        self.count += 1

    def size_estimate(self):
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self):
        return bytes(self.buf) + b''.join(struct.pack('<I', r) for r in self.restarts) + struct.pack('<I', len(self.restarts))


def shortest_separator(start, limit):
    """A short key k with start <= k < limit (TableBuilder's FindShortestSeparator)."""
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n and start[i] < 0xFF and start[i] + 1 < limit[i]:
        return start[:i] + bytes([start[i] + 1])
    return start


def short_successor(key):
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes([b + 1])
    return key


NO_COMPRESSION, SNAPPY_COMPRESSION = 0, 1


def write_table(entries, block_size, restart_interval, snappy=False):
    """entries: sorted (key bytes, value bytes) pairs -> the table file's bytes."""
    out = bytearray()

    def write_block(contents):
        compression = NO_COMPRESSION
        if snappy:
            import snappy as libsnappy  # python3-snappy: raw Snappy, not the framing format
            compressed = libsnappy.compress(contents)
            if len(compressed) < len(contents) - len(contents) // 8:  # TableBuilder::WriteBlock's rule
                contents, compression = compressed, SNAPPY_COMPRESSION
        handle = varint(len(out)) + varint(len(contents))
        out.extend(contents)
        out.append(compression)
        out.extend(struct.pack('<I', mask_crc(crc32c(contents + bytes([compression])))))
        return handle

    data = BlockBuilder(restart_interval)
    index = BlockBuilder(1)
    pending = None  # (last key of the flushed block, its handle): indexed once the next key is known
    for key, value in entries:
        if pending is not None:
            index.add(shortest_separator(pending[0], key), pending[1])
            pending = None
        data.add(key, value)
        if data.size_estimate() >= block_size:
            pending = (key, write_block(data.finish()))
            data.reset()
    if data.count:
        pending = (data.last_key, write_block(data.finish()))
    metaindex_handle = write_block(BlockBuilder(restart_interval).finish())
    if pending is not None:
        index.add(short_successor(pending[0]), pending[1])
    index_handle = write_block(index.finish())
    footer = (metaindex_handle + index_handle).ljust(40, b'\x00')
    out.extend(footer + struct.pack('<II', 0x8B80FB57, 0xDB477524))
    return bytes(out)


def string_tensor_bytes(strings):
    """[varint64 lengths][masked crc of the lengths as uint32][bytes]; returns (bytes, crc of all)."""
    lengths = b''.join(varint(len(s)) for s in strings)
    crc = 0
    for s in strings:
        crc = crc32c(struct.pack('<I', len(s)), crc)
    length_crc = struct.pack('<I', mask_crc(crc))
    crc = crc32c(length_crc, crc)
    for s in strings:
        crc = crc32c(s, crc)
    return lengths + length_crc + b''.join(strings), crc


def write_bundle(prefix, tensors, object_graph=b'', block_size=262144, restart_interval=16, snappy=False):
    """tensors: name -> numpy array (float32 or int64), written in the dict's order."""
    data = bytearray()
    entries = {}
    for name, array in tensors.items():
        array = np.asarray(array)  # tobytes() below is C order whatever the strides
        dtype = {np.dtype('float32'): DT_FLOAT, np.dtype('int64'): DT_INT64}[array.dtype]
        raw = array.astype(array.dtype.newbyteorder('<')).tobytes(order='C')
        entries[name] = encode_entry(dtype, array.shape, len(data), len(raw), mask_crc(crc32c(raw)))
        data += raw
    raw, crc = string_tensor_bytes([object_graph])
    entries['_CHECKPOINTABLE_OBJECT_GRAPH'] = encode_entry(DT_STRING, (), len(data), len(raw), mask_crc(crc))
    data += raw
    table = [(b'', encode_header())] + sorted((k.encode(), v) for k, v in entries.items())
    os.makedirs(os.path.dirname(prefix) or '.', exist_ok=True)
    with open(prefix + '.index', 'wb') as f:
        f.write(write_table(table, block_size, restart_interval, snappy))
    with open(prefix + '.data-00000-of-00001', 'wb') as f:
        f.write(bytes(data))


# ------------------------------------------- PyTorch names -> TF (8.3) ---

SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE'

# (PT module pattern, TF module) for modules whose leaves follow the BN or conv rule.
_PREDICTOR = [
    (r'_pixel_space_head_conv0bnact\.conv', 'pixel_space_head/conv_block/_conv1_bn_act/_depthwise/_depthwise_conv'),
    (r'_pixel_space_head_conv0bnact\.norm', 'pixel_space_head/conv_block/_conv1_bn_act/_depthwise/_batch_norm'),
    (r'_pixel_space_head_conv1bnact\.conv', 'pixel_space_head/conv_block/_conv1_bn_act/_pointwise/_conv'),
    (r'_pixel_space_head_conv1bnact\.norm', 'pixel_space_head/conv_block/_conv1_bn_act/_pointwise/_batch_norm'),
    (r'_pixel_space_head_last_convbn\.conv', 'pixel_space_head/final_conv'),
    (r'_pixel_space_head_last_convbn\.norm', 'pixel_space_feature_batch_norm'),
    (r'_pixel_space_mask_batch_norm', 'pixel_space_mask_batch_norm'),
    (r'_transformer_class_head\.conv', 'transformer_class_head/_conv'),
    (r'_transformer_mask_head\.conv', 'transformer_mask_head/_conv'),
    (r'_transformer_mask_head\.norm', 'transformer_mask_head/_batch_norm'),
]
_LAYER = [
    (r'_query_self_attention\._(batch_norm_\w+)', r'_memory_attention/_\1'),
    (r'_kmeans_query_batch_norm_retrieved_value', '_kmeans_memory_batch_norm_retrieved_value'),
    (r'_(kmeans_)?query_(\w+)\.conv', r'_\1memory_\2/_conv'),
    (r'_(kmeans_)?query_(\w+)\.norm', r'_\1memory_\2/_batch_norm'),
    (r'(_pixel_\w+)\.conv', r'\1/_conv'),
    (r'(_pixel_\w+)\.norm', r'\1/_batch_norm'),
]
_RESNET_UNITS = {'conv1': '_conv1_bn_act', 'conv2': '_conv2_bn_act', 'conv3': '_conv3_bn', 'shortcut': '_shortcut'}
_CONVNEXT_UNITS = {'dwconv': 'depthwise_conv', 'norm': 'norm', 'pwconv1': 'pointwise_conv1', 'pwconv2': 'pointwise_conv2'}


def _plus1(m, group):
    return str(int(m.group(group)) + 1)


def tf_module(module):
    """PT module path -> TF object path (None for the train-only semantic head, left out)."""
    m = re.fullmatch(r'backbone\.stem\.(_conv[123]_bn(?:_act)?)\.(conv|norm)', module)
    if m:  # Axial-ResNet (MaX-S) Inception stem
        return f'encoder/_stem/{m.group(1)}/{_unit(m.group(2))}'
    m = re.fullmatch(r'backbone\.res(\d)\.(\d+)\.(_\w+?)\.(.+)', module)
    if m:  # Axial-ResNet block: deeplab2's AxialBlock, named like a pixel-decoder block
        return _axial_block(f'encoder/_stage{m.group(1)}/_block{_plus1(m, 2)}/', f'{m.group(3)}.{m.group(4)}')
    m = re.fullmatch(r'backbone\.stem\.conv1(\.norm)?', module)
    if m:
        return 'encoder/_stem/' + ('_batch_norm' if m.group(1) else '_conv')
    m = re.fullmatch(r'backbone\.res(\d)\.(\d+)\.(\w+?)(\.norm)?', module)
    if m:
        unit = _RESNET_UNITS[m.group(3)]
        return f'encoder/_stage{m.group(1)}/_block{_plus1(m, 2)}/{unit}/' + ('_batch_norm' if m.group(4) else '_conv')
    m = re.fullmatch(r'backbone\.downsample_layers\.(\d)\.(\d)', module)
    if m:
        return f'encoder/downsample_layers/{m.group(1)}/layer_with_weights-{m.group(2)}'
    m = re.fullmatch(r'backbone\.stages\.(\d)\.(\d+)(?:\.(\w+))?', module)
    if m:
        leaf = _CONVNEXT_UNITS[m.group(3)] if m.group(3) else ''
        return f'encoder/stages/{m.group(1)}/layer_with_weights-{m.group(2)}' + (f'/{leaf}' if leaf else '')
    m = re.fullmatch(r'sem_seg_head\.pixel_decoder\.(.+)', module)
    if m:
        return _pixel_decoder(m.group(1))
    m = re.fullmatch(r'sem_seg_head\.predictor\.(.+)', module)
    if m:
        return _transformer_decoder(m.group(1))
    raise KeyError(module)


def _pixel_decoder(rest):
    m = re.fullmatch(r'_in_norms\.(\d)', rest)
    if m:
        return f'pixel_decoder/_backbone_norms/{m.group(1)}'
    m = re.fullmatch(r'_resized_fuses\.(\d)\._conv_bn_(low|high)\.(conv|norm)', rest)
    if m:
        side = '1' if m.group(2) == 'low' else '2'
        return f'pixel_decoder/_skip_connections/{m.group(1)}/_resized_conv_bn{side}/' + _unit(m.group(3))
    m = re.fullmatch(r'_stages\.(\d)\._blocks\.(\d+)\.(.+)', rest)
    return _axial_block(f'pixel_decoder/_stages/{m.group(1)}/_block{_plus1(m, 2)}/', m.group(3))


def _axial_block(block, inner):
    """deeplab2 AxialBlock (pixel decoder and Axial-ResNet): `inner` is the PT path inside it."""
    a = re.fullmatch(r'_attention\._(height|width)_axis\.(.+)', inner)
    if a:
        axis = f'{block}_attention/_{a.group(1)}_axis/'
        rpe = re.fullmatch(r'_(query|key|value)_rpe\._embeddings', a.group(2))
        if rpe:
            return f'{axis}_{rpe.group(1)}_rpe/embeddings'
        return axis + ('qkv_kernel' if a.group(2) == 'qkv_transform.conv' else a.group(2))
    unit, kind = inner.rsplit('.', 1)
    return f'{block}{unit}/{_unit(kind)}'


def _transformer_decoder(rest):
    m = re.fullmatch(r'_(class|mask)_embedding_projection\.(conv|norm)', rest)
    if m:
        return f'transformer_decoder/_{m.group(1)}_embedding_projection/{_unit(m.group(2))}'
    if rest == '_cluster_centers':
        return 'transformer_decoder/cluster_centers'
    m = re.fullmatch(r'_predcitor\.(.+)', rest)
    if m:
        return _substitute(_PREDICTOR, m.group(1))
    m = re.fullmatch(r'_kmax_transformer_layers\.(\d+)\.(.+)', rest)
    if m:
        layer = f'transformer_decoder/_kmax_decoder/{m.group(1)}/_block1_transformer/'
        p = re.fullmatch(r'_predcitor\.(.+)', m.group(2))
        if p:
            return layer + '_auxiliary_clustering_predictor/_' + _substitute(_PREDICTOR, p.group(1))
        return layer + _substitute(_LAYER, m.group(2))
    if rest.startswith('_auxiliary_semantic_predictor.'):
        return None  # train-only head: left out of fixtures
    raise KeyError(rest)


def _unit(kind):
    return '_conv' if kind == 'conv' else '_batch_norm'


def _substitute(rules, name):
    for pattern, replacement in rules:
        if re.fullmatch(pattern, name):
            return re.sub(pattern, replacement, name)
    raise KeyError(name)


_NORM_LEAVES = {'weight': 'gamma', 'bias': 'beta', 'running_mean': 'moving_mean', 'running_var': 'moving_variance'}


def _is_norm(module, state):
    return (module + '.running_mean') in state or re.search(r'(_in_norms\.\d|downsample_layers\.0\.1|downsample_layers\.[123]\.0|stages\.\d\.\d+\.norm)$', module) is not None


def tf_layout(pt_name, value, tf_name, heads, class_order):
    """PT tensor -> the TF variable's layout (spec 8.3's table, read right to left)."""
    v = value
    if pt_name.endswith('qkv_transform.conv.weight'):
        return v[:, :, 0].T  # [out, in, 1] -> einsum weight [in, out]
    if '_pixel_conv1_bn_act.conv.weight' in pt_name or '_pixel_v_conv_bn.conv.weight' in pt_name:
        return v[:, :, 0, 0].T[None]  # 1x1 Conv2d applied as Conv1D in TF: [1, in, out]
    if pt_name.endswith('_cluster_centers.weight'):
        return v.T[None]  # [C, K] -> [1, K, C]
    if re.search(r'(conv0bnact|conv0_bn_act|conv_block_0)\.conv\.weight$', pt_name):
        return v.transpose(2, 3, 0, 1)  # DepthwiseConv2D [k, k, C, 1]
    if tf_name.endswith('/layer_scale'):
        return v.reshape(1, 1, 1, -1)
    if re.search(r'pwconv[12]\.weight$', pt_name):
        return v.T  # Dense [in, out]
    if re.search(r'_axis\._batch_norm_similarity\.', pt_name):
        return v.reshape(3, 1, heads['axial'], 1, 1)
    if re.search(r'_axis\._batch_norm_retrieved_output\.', pt_name):
        return v.reshape(2, 1, heads['axial'], 1, -1)
    if '_query_self_attention._batch_norm_retrieved_value.' in pt_name:
        return v.reshape(1, heads['query'], 1, -1)
    if v.ndim == 3:
        v = v.transpose(2, 1, 0)  # Conv1D [1, in, out]
    elif v.ndim == 4:
        v = v.transpose(2, 3, 1, 0)  # Conv2D HWIO (ConvNeXt's grouped depthwise becomes [k, k, 1, C])
    if '_transformer_class_head.conv.' in pt_name and class_order is not None:
        # TF row k holds PT class class_order[k]; void stays last.
        v = np.concatenate([v[..., class_order], v[..., -1:]], axis=-1)
    return v


def pytorch_to_tf(state, heads, class_order=None):
    tensors = {}
    for pt_name, value in state.items():
        if pt_name.endswith('num_batches_tracked'):
            continue
        module, leaf = pt_name.rsplit('.', 1)
        if leaf == 'gamma':  # ConvNeXt layer scale
            tf = tf_module(module) + '/layer_scale'
        else:
            tf_mod = tf_module(module)
            if tf_mod is None:
                continue
            if _is_norm(module, state):
                tf = f'{tf_mod}/{_NORM_LEAVES[leaf]}'
            elif tf_mod.rsplit('/', 1)[-1] in ('embeddings', 'qkv_kernel', 'cluster_centers'):
                tf = tf_mod  # bare variables, not layers with kernel/bias
            else:
                depthwise = tf_mod.endswith('_depthwise_conv')
                tf = f'{tf_mod}/' + ('depthwise_kernel' if depthwise and leaf == 'weight' else 'kernel' if leaf == 'weight' else 'bias')
        array = value.detach().cpu().numpy().astype(np.float32)
        tensors[tf + SUFFIX] = tf_layout(pt_name, array, tf, heads, class_order)
    return tensors


# ------------------------------------------------------------------ main ---

def write_testdata(out_dir):
    """A small bundle: shared key prefixes, several blocks, odd shapes, an int64 counter, an optimizer slot."""
    rng = np.random.default_rng(7)
    tensors = {
        'encoder/_stem/_conv/kernel' + SUFFIX: rng.standard_normal((3, 3, 2, 4)).astype(np.float32),
        'encoder/_stem/_batch_norm/gamma' + SUFFIX: np.arange(4, dtype=np.float32) + 1,
        'encoder/_stem/_batch_norm/beta' + SUFFIX: -np.arange(4, dtype=np.float32),
        'encoder/_stem/_batch_norm/moving_mean' + SUFFIX: np.full(4, 0.5, np.float32),
        'encoder/_stem/_batch_norm/moving_variance' + SUFFIX: np.full(4, 2.0, np.float32),
        'transformer_decoder/cluster_centers' + SUFFIX: rng.standard_normal((1, 5, 3)).astype(np.float32),
        'pixel_decoder/_stages/0/_block1/_attention/_height_axis/_batch_norm_similarity/gamma' + SUFFIX:
            np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 1, 2, 1, 1),
        'scalar_weight' + SUFFIX: np.array(3.25, np.float32),
        'empty_weight' + SUFFIX: np.zeros((0, 3), np.float32),
        'save_counter' + SUFFIX: np.array(150000, np.int64),
        'encoder/_stem/_conv/kernel/.OPTIMIZER_SLOT/optimizer/m' + SUFFIX: np.ones((3, 3, 2, 4), np.float32),
    }
    for i in range(24):  # many keys sharing long prefixes: forces prefix compression and many blocks
        tensors[f'pixel_decoder/_stages/1/_block{i}/_conv1_bn_act/_batch_norm/gamma' + SUFFIX] = (
            np.arange(i % 5 + 1, dtype=np.float32) * (i + 1))
    for suffix, snappy in (('', False), ('-snappy', True)):
        write_bundle(os.path.join(out_dir, 'small' + suffix), tensors, object_graph=b'\x0a\x02object-graph',
                     block_size=512, restart_interval=3, snappy=snappy)
    # Same tensors, same order: the Snappy bundle's data shard is the plain one's, byte for byte.
    with open(os.path.join(out_dir, 'small-snappy.data-00000-of-00001'), 'rb') as f:
        assert f.read() == open(os.path.join(out_dir, 'small.data-00000-of-00001'), 'rb').read()
    os.remove(os.path.join(out_dir, 'small-snappy.data-00000-of-00001'))
    write_leveldb_table(os.path.join(out_dir, 'leveldb-snappy'), list(tensors.items()))
    manifest = {k: {'shape': list(v.shape), 'dtype': str(v.dtype), 'values': v.reshape(-1).tolist()} for k, v in tensors.items()}
    with open(os.path.join(out_dir, 'small.json'), 'w') as f:
        json.dump(manifest, f, indent=0)


def write_leveldb_table(out_prefix, tensors):
    """An SSTable written by LevelDB itself (Debian's libleveldb, through its C API), with
    Snappy-compressed blocks: the table format TensorFlow's index files use, from the
    library it was forked from (TensorFlow itself is not installed here). Keys are the
    bundle keys; values the tensors' bytes and the key repeated (so every data block
    compresses; the empty metaindex block stays stored). LevelDB stores each key as
    an "internal key": the user key then 8 bytes of sequence number and type."""
    import ctypes
    import glob
    import shutil
    import tempfile
    lib = ctypes.CDLL('libleveldb.so.1d')
    lib.leveldb_open.restype = ctypes.c_void_p
    for name in ('leveldb_options_create', 'leveldb_writeoptions_create'):
        getattr(lib, name).restype = ctypes.c_void_p
    err = ctypes.c_char_p()
    options = ctypes.c_void_p(lib.leveldb_options_create())
    lib.leveldb_options_set_create_if_missing(options, 1)
    lib.leveldb_options_set_compression(options, 1)  # leveldb_snappy_compression
    lib.leveldb_options_set_block_size(options, ctypes.c_size_t(256))
    lib.leveldb_options_set_block_restart_interval(options, 4)
    tmp = tempfile.mkdtemp()
    db = ctypes.c_void_p(lib.leveldb_open(options, tmp.encode(), ctypes.byref(err)))
    assert not err.value, err.value
    write = ctypes.c_void_p(lib.leveldb_writeoptions_create())
    expected = {}
    for key, array in tensors:
        value = np.asarray(array).tobytes() + key.encode() * 3  # names repeat: compressible
        lib.leveldb_put(db, write, key.encode(), ctypes.c_size_t(len(key.encode())), value, ctypes.c_size_t(len(value)),
                        ctypes.byref(err))
        assert not err.value, err.value
        expected[key] = value.hex()
    lib.leveldb_compact_range(db, None, ctypes.c_size_t(0), None, ctypes.c_size_t(0))
    lib.leveldb_close(db)
    tables = glob.glob(os.path.join(tmp, '*.ldb'))
    assert len(tables) == 1, tables
    shutil.copyfile(tables[0], out_prefix + '.ldb')
    shutil.rmtree(tmp)
    with open(out_prefix + '.json', 'w') as f:
        json.dump(expected, f, indent=0, sort_keys=True)


def write_fixture(name, out_prefix, snappy=False):
    import torch  # only this mode needs torch

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', name)
    checkpoint = torch.load(os.path.join(root, 'checkpoint.pth'), map_location='cpu')
    state = checkpoint.get('model', checkpoint)
    config_path = os.path.join(root, 'config.json')
    config = json.load(open(config_path)) if os.path.exists(config_path) else {}
    config = config.get('config', config)
    heads = {'axial': config.get('pixelDecoder', {}).get('axialHeads', 8),
             'query': config.get('transformerDecoder', {}).get('heads', 8)}
    class_order = _class_order(config.get('dataset'), config.get('numClasses'))
    write_bundle(out_prefix, pytorch_to_tf(state, heads, class_order), snappy=snappy)


# Our own training config in deeplab2's text format (ExperimentOptions, field names from
# deeplab2's config.proto and its kMaX configs): crop size and every post-processing
# threshold differ from the official COCO values, so a reader that ignores it is caught.
ARCHIVE_TEXTPROTO = '''# proto-file: deeplab2/config.proto
# proto-message: ExperimentOptions
#
# kMaX Lens test fixture: a tiny kMaX-DeepLab (r50tf-coco-4stage) in deeplab2's layout.
experiment_name: "kmax_resnet50_coco_train"
model_options {
  backbone {
    name: "kmax_resnet50"
    drop_path_keep_prob: 1.0
  }
  max_deeplab {
    pixel_space_head { output_channels: 16 head_channels: 16 }
    auxiliary_semantic_head { output_channels: 134 head_channels: 16 }
  }
}
trainer_options {
  solver_options {
    base_learning_rate: 5e-4
    training_number_of_steps: 150000
    optimizer: "adamw"
  }
}
train_dataset_options {
  dataset: "coco_panoptic"
  file_pattern: "${TRAIN_SET}"
  crop_size: 1281
  crop_size: 1281
}
eval_dataset_options {
  dataset: "coco_panoptic"
  file_pattern: "${VAL_SET}"
  batch_size: 1
  crop_size: 641  # eval size: what the network sees
  crop_size: 641
}
evaluator_options {
  thing_area_limit: 300
  stuff_area_limit: 4096
  transformer_post_processing: "maskwise"
  pixel_confidence_threshold: 0.35
  maskwise_postprocessing {
    transformer_class_confidence_threshold_thing: 0.65
    transformer_class_confidence_threshold_stuff: 0.45
    overlapping_threshold: 0.75
    reorder_class_weight: 1.0
    reorder_mask_weight: 0.5
  }
  save_predictions: true
}
'''

ARCHIVE_STEP = 150000


def write_deeplab2_archive(name, out_path):
    """The fixture's weights as a deeplab2 training checkpoint, archived as deeplab2 publishes it."""
    import gzip
    import io
    import shutil
    import tarfile
    import tempfile
    import torch

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', name)
    checkpoint = torch.load(os.path.join(root, 'checkpoint.pth'), map_location='cpu')
    config = json.load(open(os.path.join(root, 'config.json')))
    config = config.get('config', config)
    heads = {'axial': config['pixelDecoder']['axialHeads'], 'query': config['transformerDecoder']['heads']}
    weights = pytorch_to_tf(checkpoint.get('model', checkpoint), heads, _class_order(config['dataset'], config['numClasses']))
    tensors = dict(weights)
    # AdamW slots for every trainable variable (constant values: they only have to be skipped,
    # and keep the committed archive small), the optimizer's step and the counters.
    for key, value in weights.items():
        if re.search(r'/moving_(mean|variance)/', key):
            continue
        variable = key[:-len(SUFFIX)]
        for slot, fill in (('m', 1e-3), ('v', 1e-6)):
            tensors[f'{variable}/.OPTIMIZER_SLOT/optimizer/{slot}{SUFFIX}'] = np.full(value.shape, fill, np.float32)
    tensors['optimizer/iter' + SUFFIX] = np.array(ARCHIVE_STEP, np.int64)
    tensors['optimizer/learning_rate' + SUFFIX] = np.array(5e-4, np.float32)
    tensors['global_step' + SUFFIX] = np.array(ARCHIVE_STEP, np.int64)
    tensors['save_counter' + SUFFIX] = np.array(150, np.int64)

    folder = os.path.splitext(os.path.splitext(os.path.basename(out_path))[0])[0]
    tmp = tempfile.mkdtemp()
    prefix = os.path.join(tmp, f'ckpt-{ARCHIVE_STEP}')
    write_bundle(prefix, tensors, object_graph=b'\x0a\x02object-graph', snappy=True)
    files = {
        f'ckpt-{ARCHIVE_STEP}.data-00000-of-00001': open(prefix + '.data-00000-of-00001', 'rb').read(),
        f'ckpt-{ARCHIVE_STEP}.index': open(prefix + '.index', 'rb').read(),
        'checkpoint': f'model_checkpoint_path: "ckpt-{ARCHIVE_STEP}"\nall_model_checkpoint_paths: "ckpt-{ARCHIVE_STEP}"\n'.encode(),
        f'{folder}.textproto': ARCHIVE_TEXTPROTO.encode(),
    }
    shutil.rmtree(tmp)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.PAX_FORMAT) as tar:
        directory = tarfile.TarInfo(folder)
        directory.type, directory.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(directory)
        for member, data in files.items():
            info = tarfile.TarInfo(f'{folder}/{member}')
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    with open(out_path, 'wb') as f, gzip.GzipFile(fileobj=f, mode='wb', mtime=0, filename='') as gz:
        gz.write(raw.getvalue())
    print(f'{out_path}: {os.path.getsize(out_path)} bytes, {len(tensors)} tensors ({len(weights)} weights)')


def _class_order(dataset, num_classes):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'datasets', 'kmax-datasets.json')
    info = json.load(open(path)).get(dataset or '', {})
    order = info.get('tf_logit_index_to_pytorch_id')
    if info.get('tf_class_head_order_same_as_pytorch', True) or order is None or len(order) != num_classes:
        return None
    return order


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--testdata', metavar='DIR')
    group.add_argument('--fixture', metavar='NAME')
    parser.add_argument('--out', metavar='PREFIX', help='with --fixture: bundle path prefix (default: '
                        'src/checkpoints/tf-bundle/testdata/NAME/ckpt-1)')
    parser.add_argument('--snappy', action='store_true', help='Snappy-compress index blocks (with --fixture)')
    parser.add_argument('--deeplab2-archive', metavar='PATH', help='with --fixture: write a deeplab2-layout .tar.gz')
    args = parser.parse_args()
    if args.testdata:
        write_testdata(args.testdata)
    elif args.deeplab2_archive:
        write_deeplab2_archive(args.fixture, args.deeplab2_archive)
    else:
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        plain = os.path.join(repo, 'src', 'checkpoints', 'tf-bundle', 'testdata', args.fixture, 'ckpt-1')
        default = os.path.join(os.path.dirname(plain), 'snappy', 'ckpt-1') if args.snappy else plain
        write_fixture(args.fixture, args.out or default, args.snappy)
        if args.snappy and not args.out:
            # Only the index differs from the plain bundle's: keep one copy of the data shard.
            shard = '.data-00000-of-00001'
            with open(default + shard, 'rb') as a, open(plain + shard, 'rb') as b:
                assert a.read() == b.read(), 'the plain bundle is stale: rewrite it first'
            os.remove(default + shard)
