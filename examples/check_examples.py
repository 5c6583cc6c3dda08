#!/usr/bin/env python3
"""Check the committed example models with onnxruntime only (no torch/TF needed):
every .onnx loads and runs on its calibration data; prints inputs/outputs and
op histograms; re-measures the digits accuracy on the held-out split."""
from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

HERE = Path(__file__).resolve().parent


def feed(sess, x):
    inp = sess.get_inputs()[0]
    if inp.type == "tensor(int8)":  # tf2onnx_int8: quantize with the model's input parameters
        q = json.loads((HERE / "tf2onnx_int8" / "info.json").read_text())["input_quantization"]
        x = np.clip(np.round(x / q["scale"]) + q["zero_point"], -128, 127).astype(np.int8)
    return sess.run(None, {inp.name: x})[0]


def main() -> int:
    failures = 0
    for d in sorted(p for p in HERE.iterdir() if p.is_dir() and (p / "calibration.npy").exists()):
        calib = np.load(d / "calibration.npy")
        for f in sorted(d.glob("*.onnx")):
            try:
                m = onnx.load(str(f))
                onnx.checker.check_model(m)
                sess = ort.InferenceSession(str(f), providers=["CPUExecutionProvider"])
                out = np.concatenate([feed(sess, calib[i:i + 1]) for i in range(len(calib))])
                hist = collections.Counter(n.op_type for n in m.graph.node)
                io = [(i.name, i.shape, i.type) for i in sess.get_inputs()] + \
                     [(o.name, o.shape, o.type) for o in sess.get_outputs()]
                print(f"OK   {d.name}/{f.name}: {io} out{list(out.shape)} {dict(sorted(hist.items()))}")
            except Exception as e:  # noqa: BLE001
                failures += 1
                print(f"FAIL {d.name}/{f.name}: {e}")
    acc = json.loads((HERE / "digits" / "accuracy.json").read_text())
    print(f"digits: float {acc['float_accuracy']}, int8 {acc['int8_accuracy']} on {acc['n_test']} held-out images")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
