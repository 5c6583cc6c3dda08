"""Training / calibration data for the exporter-matrix architectures.

Only data a package ships or this file generates (no downloads):
  - images: scikit-learn's 8x8 handwritten digits (pixels / 16), the same split
    as examples/digits (train_test_split(test_size=0.25, random_state=0, stratify=y));
  - series: a synthetic 3-channel time series, 64 steps, 4 classes (a sine of
    class-dependent frequency with per-channel phase, plus noise), from a seeded RNG.
Arrays are channels-last (Keras / TFLite layout); `to_torch_layout` gives NCHW / NCL.
"""
from __future__ import annotations

import numpy as np

N_CALIB = 16      # samples committed as calibration .npy (and used by every quantizer)
SERIES_LEN = 64
SERIES_CH = 3
SERIES_CLASSES = 4


def digits_nhwc():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    ds = load_digits()
    x = (ds.images / 16.0).astype(np.float32)[..., None]  # (N, 8, 8, 1)
    y = ds.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


def series_nlc(n: int = 1600, seed: int = 3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, SERIES_CLASSES, n)
    t = np.arange(SERIES_LEN, dtype=np.float64)[None, :, None]
    freq = (0.05 + 0.06 * y)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1)) + np.arange(SERIES_CH)[None, None, :] * 0.7
    amp = rng.uniform(0.6, 1.4, (n, 1, SERIES_CH))
    x = amp * np.sin(2 * np.pi * freq * t + phase) + 0.3 * rng.standard_normal((n, SERIES_LEN, SERIES_CH))
    x = x.astype(np.float32)
    split = n * 3 // 4
    return x[:split], x[split:], y[:split].astype(np.int64), y[split:].astype(np.int64)


def load(kind: str):
    """(x_train, x_test, y_train, y_test, n_classes), channels-last."""
    if kind == "image":
        x_tr, x_te, y_tr, y_te = digits_nhwc()
        return x_tr, x_te, y_tr, y_te, 10
    if kind == "flat":
        x_tr, x_te, y_tr, y_te = digits_nhwc()
        return x_tr.reshape(len(x_tr), -1), x_te.reshape(len(x_te), -1), y_tr, y_te, 10
    if kind == "series":
        x_tr, x_te, y_tr, y_te = series_nlc()
        return x_tr, x_te, y_tr, y_te, SERIES_CLASSES
    raise ValueError(kind)


def to_torch_layout(x: np.ndarray) -> np.ndarray:
    """NHWC -> NCHW, NLC -> NCL; rank-2 (flat) unchanged."""
    if x.ndim == 4:
        return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))
    if x.ndim == 3:
        return np.ascontiguousarray(np.transpose(x, (0, 2, 1)))
    return x
