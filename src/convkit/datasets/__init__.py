"""Datasets: the embedded UCI digits (always available, no download)."""

from .digits import load_digits, resize_images

__all__ = ["load_digits", "resize_images"]
