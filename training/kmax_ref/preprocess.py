"""PT test-time input preparation (spec 2.1): ResizeShortestEdge sizes, Pillow BILINEAR on
uint8, (x - 127.5) / 127.5, zero padding bottom/right after normalising (T25-T27)."""
import numpy as np
import torch
from PIL import Image


def resize_shortest_edge_size(height: int, width: int, short: int, max_size: int):
    """detectron2 ResizeShortestEdge: (new_h, new_w) with round-half-up (int(x + 0.5))."""
    scale = short / min(height, width)
    new_h, new_w = (short, scale * width) if height < width else (scale * height, short)
    if max(new_h, new_w) > max_size:
        shrink = max_size / max(new_h, new_w)
        new_h, new_w = new_h * shrink, new_w * shrink
    return int(new_h + 0.5), int(new_w + 0.5)


def resize_image(image: np.ndarray, input_size) -> np.ndarray:
    """uint8 HWC RGB -> uint8 resized with Pillow's (anti-aliasing when shrinking) bilinear."""
    new_h, new_w = resize_shortest_edge_size(image.shape[0], image.shape[1], min(input_size), max(input_size))
    return np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))


def normalise_and_pad(resized: np.ndarray, input_size) -> torch.Tensor:
    """uint8 HWC -> float32 [1, 3, H, W], zero (= grey) padding bottom/right."""
    height, width = input_size
    x = (resized.astype(np.float32) - 127.5) / 127.5
    padded = np.zeros((height, width, 3), np.float32)
    padded[:x.shape[0], :x.shape[1]] = x
    return torch.from_numpy(padded).permute(2, 0, 1).unsqueeze(0).contiguous()


def preprocess(image: np.ndarray, input_size) -> torch.Tensor:
    return normalise_and_pad(resize_image(image, input_size), input_size)
