"""Independent PyTorch reference of kMaX-DeepLab, written from docs/kmax-inference-spec.md."""
from .config import OFFICIAL, load_config
from .kmax_layer import ATTENTION_MODES, cluster_attention
from .model import KMaXDeepLab

__all__ = ['ATTENTION_MODES', 'KMaXDeepLab', 'OFFICIAL', 'cluster_attention', 'load_config']
