"""The BLAS kernels this process computes with.

The demo training runs its convolutions as ATen's im2col and sgemm (oneDNN is off, see
loop.py), so the kernels OpenBLAS picks for the CPU fix the float rounding: CPUs that OpenBLAS
reads as different cores train different weights from the same seed (on 40 steps, Prescott,
Haswell and SkylakeX gave three). OPENBLAS_CORETYPE, read when OpenBLAS loads, pins them; a VM
that hides its CPU model gets Prescott's.
"""

import ctypes


def blas_core() -> str:
    """OpenBLAS's name for the kernels in use (Debian's torch links OpenBLAS)."""
    try:
        library = ctypes.CDLL("libopenblas.so.0")
        library.openblas_get_corename.restype = ctypes.c_char_p
        return library.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "not OpenBLAS"
