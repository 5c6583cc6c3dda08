"""Shared helpers for the example-model generators.

Every generator builds a float model, exports it to ONNX, writes a small
calibration set and quantizes with onnxruntime's quantize_static (QDQ format).
"""
from __future__ import annotations

import collections
import json
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

EXAMPLES_DIR = Path(__file__).resolve().parent.parent


def model_dir(name: str) -> Path:
    d = EXAMPLES_DIR / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def seed_everything(seed: int) -> None:
    # tf2onnx names generated constants in set-iteration order, which depends on
    # string hashing: re-run this process with a fixed PYTHONHASHSEED.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
        torch.manual_seed(seed)
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
    except ImportError:
        pass


def smooth_noise(rng: np.random.Generator, shape, axes, passes: int = 2) -> np.ndarray:
    """Gaussian noise low-pass filtered (box filter) along `axes`: image/spectrogram-like data."""
    x = rng.standard_normal(shape).astype(np.float64)
    for _ in range(passes):
        for ax in axes:
            x = (np.roll(x, 1, axis=ax) + x + np.roll(x, -1, axis=ax)) / 3.0
    x /= x.std() + 1e-12
    return x


class ArrayReader(CalibrationDataReader):
    """Feeds calibration samples one at a time (batch of 1) to quantize_static."""

    def __init__(self, input_name: str, samples: np.ndarray):
        self.input_name = input_name
        self.samples = samples
        self.i = 0

    def get_next(self):
        if self.i >= len(self.samples):
            return None
        x = self.samples[self.i:self.i + 1].astype(np.float32)
        self.i += 1
        return {self.input_name: x}

    def rewind(self):
        self.i = 0


def save_calibration(path: Path, samples: np.ndarray) -> None:
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    np.save(path, samples)
    size = path.stat().st_size
    assert size < 1_000_000, f"{path} is {size} bytes (limit 1 MB)"


def quantize(float_path: Path, out_path: Path, calib: np.ndarray, *,
             per_channel: bool = True,
             activation_type: QuantType = QuantType.QInt8) -> None:
    """quant_pre_process (shape inference + ORT basic optimisations, which fold
    BatchNormalization into Conv) then quantize_static in QDQ format."""
    input_name = onnx.load(str(float_path)).graph.input[0].name
    with tempfile.TemporaryDirectory() as td:
        pre = Path(td) / "pre.onnx"
        quant_pre_process(str(float_path), str(pre))
        quantize_static(
            str(pre), str(out_path), ArrayReader(input_name, calib),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=activation_type,
            weight_type=QuantType.QInt8,
        )
    m = onnx.load(str(out_path))
    strip_unused_opsets(m)
    onnx.checker.check_model(m)
    onnx.save(m, str(out_path))


def strip_unused_opsets(m: onnx.ModelProto) -> None:
    """quant_pre_process's optimiser declares every onnxruntime domain
    (com.microsoft, ai.onnx.ml, training, ...); keep only those nodes use."""
    used = {n.domain for n in m.graph.node} | {""}
    keep = [o for o in m.opset_import if o.domain in used or o.domain == "ai.onnx"]
    del m.opset_import[:]
    m.opset_import.extend(keep)


def session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def run(path: Path, samples: np.ndarray) -> np.ndarray:
    sess = session(path)
    name = sess.get_inputs()[0].name
    outs = [sess.run(None, {name: samples[i:i + 1].astype(np.float32)})[0]
            for i in range(len(samples))]
    return np.concatenate(outs, axis=0)


def describe(path: Path) -> dict:
    """Input/output specs (from onnxruntime), opset, op histogram."""
    m = onnx.load(str(path))
    sess = session(path)
    hist = collections.Counter(
        (n.domain + "::" if n.domain not in ("", "ai.onnx") else "") + n.op_type
        for n in m.graph.node)
    info = {
        "file": path.name,
        "bytes": path.stat().st_size,
        "opset": {(o.domain or "ai.onnx"): o.version for o in m.opset_import},
        "producer": f"{m.producer_name} {m.producer_version}".strip(),
        "inputs": [{"name": i.name, "shape": i.shape, "dtype": i.type} for i in sess.get_inputs()],
        "outputs": [{"name": o.name, "shape": o.shape, "dtype": o.type} for o in sess.get_outputs()],
        "op_histogram": dict(sorted(hist.items())),
    }
    return info


def compare(float_out: np.ndarray, q_out: np.ndarray, classifier: bool) -> dict:
    f = float_out.reshape(len(float_out), -1).astype(np.float64)
    q = q_out.reshape(len(q_out), -1).astype(np.float64)
    err = f - q
    sqnr = 10 * np.log10((f ** 2).sum() / max((err ** 2).sum(), 1e-30))
    r = {"sqnr_db": round(float(sqnr), 2), "max_abs_diff": round(float(np.abs(err).max()), 6)}
    if classifier:
        r["top1_agreement"] = round(float((f.argmax(1) == q.argmax(1)).mean()), 4)
    return r


def report(name: str, exporter: str, float_path: Path, quantized: dict[str, Path],
           calib: np.ndarray, classifier: bool, extra: dict | None = None) -> dict:
    """Verifies every model runs in onnxruntime, prints and writes info.json."""
    d = model_dir(name)
    f_out = run(float_path, calib)
    info = {"name": name, "exporter": exporter,
            "calibration": {"file": "calibration.npy", "shape": list(calib.shape), "dtype": "float32"},
            "float": describe(float_path), "quantized": {}}
    for variant, p in quantized.items():
        q_out = run(p, calib)
        qi = describe(p)
        qi["vs_float_on_calibration"] = compare(f_out, q_out, classifier)
        info["quantized"][variant] = qi
    if extra:
        info.update(extra)
    (d / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))
    return info
