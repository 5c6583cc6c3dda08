"""onnxruntime quantize_static in QOperator format -> test/fixtures/qoperator/.

For every bundled float example (examples/*/*_float.onnx with its
calibration.npy) writes four variants:
  <name>_u8s8_pc.onnx / _u8s8_pt.onnx  activations QUInt8, weights QInt8
  <name>_u8u8_pc.onnx / _u8u8_pt.onnx  activations and weights QUInt8
                                        (asymmetric weights: non-zero zero points)
(pc = per-channel weights, pt = per-tensor). Models whose float export is
over 200 KB (vww_mobilenet, ad_autoencoder) keep two variants, u8s8_pc and
u8u8_pt, to bound repository size and test time; files over 400 KB are skipped.
Gemm -> BatchNormalization pairs are folded first (quant_pre_process folds BN
into Conv only; left alone, quantize_static keeps the BN in float between
QGemm islands), as examples/scripts/ad_autoencoder.py does for its QDQ model.
Also the exporter-matrix float models (test/fixtures/exporters/float/
<exporter>/<arch>.onnx with <arch>.calib.npy, from the exporter scripts
beside this one): TorchScript in u8s8_pc and u8u8_pt, Keras via tf2onnx in
u8u8_pt, as <exporter>_<arch>_<variant>.onnx under test/fixtures/qoperator/exporters/.
Prints each model's op histogram so the test suite can be checked to cover
every op onnxruntime emits.

Run: /work/venv/bin/python examples/scripts/exporters/ort_qoperator.py
"""
from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "test" / "fixtures" / "qoperator"
MAX_BYTES = 400_000
LARGE_FLOAT_BYTES = 200_000
LARGE_MODEL_VARIANTS = ("u8s8_pc", "u8u8_pt")
CALIBRATION_SAMPLES = 32

VARIANTS = {
    "u8s8_pc": dict(weight_type=QuantType.QInt8, per_channel=True),
    "u8s8_pt": dict(weight_type=QuantType.QInt8, per_channel=False),
    "u8u8_pc": dict(weight_type=QuantType.QUInt8, per_channel=True),
    "u8u8_pt": dict(weight_type=QuantType.QUInt8, per_channel=False),
}


class ArrayReader(CalibrationDataReader):
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


def strip_unused_opsets(m: onnx.ModelProto) -> None:
    used = {n.domain for n in m.graph.node} | {""}
    keep = [o for o in m.opset_import if o.domain in used or o.domain == "ai.onnx"]
    del m.opset_import[:]
    m.opset_import.extend(keep)


def fold_gemm_batchnorm(m: onnx.ModelProto) -> int:
    """Gemm(transB=1, alpha=beta=1) -> BatchNormalization: scale the weight
    rows and shift the bias (the same function in float). Returns the count."""
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    consumers = collections.Counter(i for n in g.node for i in n.input)
    folded = 0
    for bn in [n for n in g.node if n.op_type == "BatchNormalization"]:
        gemm = next((n for n in g.node if n.op_type == "Gemm" and n.output[0] == bn.input[0]), None)
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in gemm.attribute} if gemm else {}
        if (gemm is None or consumers[gemm.output[0]] != 1 or attrs.get("transB", 0) != 1
                or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0 or len(gemm.input) < 3
                or not all(i in inits for i in [gemm.input[1], gemm.input[2], *bn.input[1:5]])):
            continue
        eps = next((onnx.helper.get_attribute_value(a) for a in bn.attribute if a.name == "epsilon"), 1e-5)
        w, b = (numpy_helper.to_array(inits[i]).astype(np.float64) for i in gemm.input[1:3])
        gamma, beta, mean, var = (numpy_helper.to_array(inits[i]).astype(np.float64) for i in bn.input[1:5])
        k = gamma / np.sqrt(var + eps)
        inits[gemm.input[1]].CopyFrom(numpy_helper.from_array((w * k[:, None]).astype(np.float32), gemm.input[1]))
        inits[gemm.input[2]].CopyFrom(numpy_helper.from_array(((b - mean) * k + beta).astype(np.float32), gemm.input[2]))
        gemm.output[0] = bn.output[0]
        g.node.remove(bn)
        folded += 1
    return folded


def quantize_qoperator(float_path: Path, out_path: Path, calib: np.ndarray, **kw) -> None:
    m = onnx.load(str(float_path))
    input_name = m.graph.input[0].name
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "folded.onnx"
        if fold_gemm_batchnorm(m):
            print(f"{float_path.name}: folded BatchNormalization into Gemm")
        onnx.save(m, str(src))
        pre = Path(td) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out_path), ArrayReader(input_name, calib),
                        quant_format=QuantFormat.QOperator,
                        activation_type=QuantType.QUInt8, **kw)
    m = onnx.load(str(out_path))
    strip_unused_opsets(m)
    onnx.save(m, str(out_path))


def histogram(path: Path) -> dict[str, int]:
    m = onnx.load(str(path))
    return dict(collections.Counter(
        (f"{n.domain}." if n.domain else "") + n.op_type for n in m.graph.node))


# exporter -> variants. Keras (tf2onnx, NHWC with Transpose/Squeeze on uint8) once, in U8U8.
# Not dynamo: quantize_static leaves its global pooling a float ReduceMean between
# QDQ islands (a canonicalisation-pass matter, not a QOperator one).
EXPORTER_FLOAT_DIRS = {"torchscript": LARGE_MODEL_VARIANTS, "keras-tf2onnx": ("u8u8_pt",)}


def write_variants(float_path: Path, calib: np.ndarray, out_dir: Path, name: str, variants: tuple[str, ...],
                   total: collections.Counter) -> None:
    for variant in variants:
        out = out_dir / f"{name}_{variant}.onnx"
        quantize_qoperator(float_path, out, calib, **VARIANTS[variant])
        size = out.stat().st_size
        if size > MAX_BYTES:
            print(f"skip {out.name}: {size} bytes > {MAX_BYTES}")
            out.unlink()
            continue
        hist = histogram(out)
        total.update(hist)
        print(f"{out.name} ({size} bytes): {hist}")


def main() -> int:
    onnxruntime.set_default_logger_severity(3)  # quant_pre_process's unused-initializer warnings
    OUT.mkdir(parents=True, exist_ok=True)
    total: collections.Counter = collections.Counter()
    for float_path in sorted(ROOT.glob("examples/*/*_float.onnx")):
        name = float_path.name[:-len("_float.onnx")]
        calib = np.load(float_path.parent / "calibration.npy")[:CALIBRATION_SAMPLES]
        large = float_path.stat().st_size > LARGE_FLOAT_BYTES
        write_variants(float_path, calib, OUT, name, LARGE_MODEL_VARIANTS if large else tuple(VARIANTS), total)
    exporters_out = OUT / "exporters"
    exporters_out.mkdir(exist_ok=True)
    for exporter, variants in EXPORTER_FLOAT_DIRS.items():
        for float_path in sorted((ROOT / "test/fixtures/exporters/float" / exporter).glob("*.onnx")):
            calib = np.load(float_path.with_suffix(".calib.npy"))[:CALIBRATION_SAMPLES]
            write_variants(float_path, calib, exporters_out, f"{exporter}_{float_path.stem}", variants, total)
    print("all ops:", dict(total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
