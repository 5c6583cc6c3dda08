"""Benchmark: edgec's post-training quantization vs onnxruntime's quantize_static.

For each float model and its calibration data, the SQNR (dB) of the int8 output against the float
model (onnxruntime float), on the calibration samples:
  - edgec:       `edgec build <float> --calibration <data> --json` — the generated int8 C, run natively
                 (figures from the build's own quantization report);
  - onnxruntime: quant_pre_process + quantize_static(QDQ, per_channel=True, QInt8/QInt8) with each of its
                 calibration methods (MinMax, Entropy, Percentile), run in onnxruntime; its best is the bar.
Pass criterion (issue 14): edgec >= onnxruntime's best method on every model.

Run from the repository root after `npx tsc -p .`:  python examples/scripts/ptq_vs_ort.py [edgec calibration method]
Needs numpy, onnx, onnxruntime (no torch / TensorFlow). Models below opset 13 are converted to 13 (onnx.version_converter)
before quantize_static, which otherwise writes per-channel DequantizeLinear nodes the old opset does not have.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = Path(__file__).resolve().parents[2]
FX = ROOT / "test/fixtures/quantize"
MODELS = [
    ("kws_dscnn (tf2onnx)", ROOT / "examples/kws_dscnn/kws_dscnn_float.onnx", ROOT / "examples/kws_dscnn/calibration.npy"),
    ("ic_resnet8", ROOT / "examples/ic_resnet8/ic_resnet8_float.onnx", ROOT / "examples/ic_resnet8/calibration.npy"),
    ("digits", ROOT / "examples/digits/digits_float.onnx", ROOT / "examples/digits/calibration.npy"),
    ("vww_mobilenet", ROOT / "examples/vww_mobilenet/vww_mobilenet_float.onnx", ROOT / "examples/vww_mobilenet/calibration.npy"),
    ("ad_autoencoder", ROOT / "examples/ad_autoencoder/ad_autoencoder_float.onnx", ROOT / "examples/ad_autoencoder/calibration.npy"),
    ("torch_cnn (fixture)", FX / "torch_cnn.onnx", FX / "calib_torch_cnn.npy"),
    ("mlp_dynamic (fixture)", FX / "mlp_dynamic.onnx", FX / "calib_mlp.npz"),
    ("keras_dense (fixture)", FX / "keras_dense.onnx", FX / "calib_keras_dense.npy"),
    ("torch_conv1d (fixture)", FX / "torch_conv1d.onnx", FX / "calib_torch_conv1d.npy"),
    ("keras_conv1d (fixture)", FX / "keras_conv1d.onnx", FX / "calib_keras_conv1d.npy"),
    ("torch_bn_standalone (fx)", FX / "torch_bn_standalone.onnx", FX / "calib_torch_bn_standalone.npy"),
    ("torch_opset10 (fixture)", FX / "torch_opset10.onnx", FX / "calib_torch_opset10.npy"),
    ("torch_cnn_norm (fixture)", ROOT / "test/fixtures/input-affine/torch_cnn_norm.onnx", ROOT / "test/fixtures/input-affine/calib_torch_cnn_norm.npy"),
    ("torch_mlp_scale (fixture)", ROOT / "test/fixtures/input-affine/torch_mlp_scale.onnx", ROOT / "test/fixtures/input-affine/calib_torch_mlp_scale.npy"),
]


def load_samples(path: Path, input_name: str) -> np.ndarray:
    if path.suffix == ".npz":
        z = np.load(path)
        return z[input_name] if input_name in z else z[z.files[0]]
    return np.load(path)


class Reader(CalibrationDataReader):
    def __init__(self, name: str, x: np.ndarray):
        self.items = iter([{name: x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self.items, None)


def sqnr(ref: np.ndarray, x: np.ndarray) -> float:
    noise = float(((ref - x) ** 2).sum())
    return float("inf") if noise == 0 else 10 * np.log10(float((ref ** 2).sum()) / noise)


ORT_METHODS = {"MinMax": CalibrationMethod.MinMax, "Entropy": CalibrationMethod.Entropy, "Percentile": CalibrationMethod.Percentile}


def labelled_test_set(model: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """test_x.npy / test_y.npy beside the model (examples/digits), else None."""
    x, y = model.parent / "test_x.npy", model.parent / "test_y.npy"
    return (np.load(x), np.load(y)) if x.exists() and y.exists() else None


def accuracy(session: ort.InferenceSession, name: str, test: tuple[np.ndarray, np.ndarray]) -> float:
    x, y = test
    predicted = np.array([int(np.argmax(session.run(None, {name: x[i:i + 1]})[0])) for i in range(len(x))])
    return float((predicted == y).mean())


ACCURACIES: dict[str, float] = {}


def ort_sqnr(model: Path, calib: Path, work: Path, method: str) -> float:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    name = ort.InferenceSession(str(model), opts).get_inputs()[0].name
    x = load_samples(calib, name)
    src = model
    if onnx.load(str(model)).opset_import[0].version < 13:
        # per-channel QDQ needs opset 13 (DequantizeLinear axis); quantize_static writes an invalid model otherwise
        src = work / "opset13.onnx"
        onnx.save(version_converter.convert_version(onnx.load(str(model)), 13), str(src))
    pre = work / "pre.onnx"
    try:
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=False)
    except Exception:  # noqa: BLE001 - fall back to the raw export, as a user would
        pre = src
    q = work / "ort_int8.onnx"
    quantize_static(str(pre), str(q), Reader(name, x), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, calibrate_method=ORT_METHODS[method])
    f = ort.InferenceSession(str(model), opts)
    i8 = ort.InferenceSession(str(q), opts)
    ref = np.concatenate([f.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])
    out = np.concatenate([i8.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])
    test = labelled_test_set(model)
    if test is not None:
        # top-1 accuracy on the labelled test set (edgec's: npx vite-node examples/scripts/ptq_holdout.ts)
        ACCURACIES["float"] = accuracy(f, name, test)
        ACCURACIES[method] = accuracy(i8, name, test)
    return sqnr(ref, out)


def edgec_sqnr(model: Path, calib: Path, work: Path, method: str | None) -> float:
    extra = ["--calibration-method", method] if method else []
    res = subprocess.run(["node", str(ROOT / "bin/edgec.js"), "build", str(model), "--calibration", str(calib), "--json",
                          "-o", str(work / "edgec_out"), *extra], capture_output=True, text=True, check=True)
    report = json.loads(res.stdout)
    return float(report["quantization"]["outputs"][0]["sqnrDb"])


def main() -> int:
    rows = []
    method = sys.argv[1] if len(sys.argv) > 1 else None
    for label, model, calib in MODELS:
        with tempfile.TemporaryDirectory() as tmp:
            ours = edgec_sqnr(model, calib, Path(tmp), method)
            theirs = {m: ort_sqnr(model, calib, Path(tmp), m) for m in ORT_METHODS}
        best = max(theirs, key=theirs.get)
        rows.append((label, ours, theirs[best]))
        each = "  ".join(f"{m} {v:6.2f}" for m, v in theirs.items())
        print(f"{label:24s} edgec {ours:6.2f} dB   onnxruntime {each}   best {best}: diff {ours - theirs[best]:+.2f} dB", flush=True)
        if ACCURACIES:
            print(f"{'':24s} test-set top-1: float {100 * ACCURACIES['float']:.2f}%, onnxruntime {best} {100 * ACCURACIES[best]:.2f}%", flush=True)
            ACCURACIES.clear()
    bad = [r for r in rows if r[1] < r[2]]
    print("PASS: edgec >= onnxruntime's best method on every model" if not bad else f"FAIL: {[r[0] for r in bad]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
