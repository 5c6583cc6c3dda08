"""Where the matrix fixtures go and how they are described.

Every cell = one architecture pushed through one exporter path, written to
test/fixtures/exporters/<path>/<arch>.onnx (or .tflite), with
  <arch>.samples.npy  ten held-out inputs already in the model's input dtype and layout
  <arch>.tflite       the TFLite twin when the ONNX came from a .tflite
and one entry in test/fixtures/exporters/manifest.json (merged: re-running one
script replaces only its own cells).
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
ROOT = REPO / "test" / "fixtures" / "exporters"
MANIFEST = ROOT / "manifest.json"
N_SAMPLES = 10


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", "0")


def rel(p: Path) -> str:
    return str(Path(p).resolve().relative_to(REPO))


def cell_dir(path_id: str) -> Path:
    d = ROOT / path_id
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_npy(p: Path, a: np.ndarray) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    np.save(p, np.ascontiguousarray(a))


def onnx_io(path: Path) -> tuple[list[dict], list[dict]]:
    import onnx
    m = onnx.load(str(path))
    inits = {i.name for i in m.graph.initializer}

    def desc(v):
        t = v.type.tensor_type
        return {"name": v.name,
                "shape": [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim],
                "dtype": onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name}
    return [desc(v) for v in m.graph.input if v.name not in inits], [desc(v) for v in m.graph.output]


def onnx_opset(path: Path) -> int:
    import onnx
    m = onnx.load(str(path))
    return max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))


def ort_check(path: Path, samples: np.ndarray, labels: np.ndarray | None = None) -> dict:
    """Does onnxruntime load and run the model; its top-1 on the samples (and accuracy on labels)."""
    import onnxruntime as ort
    try:
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        name = s.get_inputs()[0].name
        out = np.concatenate([s.run(None, {name: samples[i:i + 1]})[0].reshape(1, -1) for i in range(len(samples))])
        res = {"loads": True, "top1": [int(v) for v in out.argmax(1)]}
        if labels is not None:
            res["accuracy"] = round(float((out.argmax(1) == labels).mean()), 4)
        return res
    except Exception as e:  # the exporter wrote something onnxruntime refuses: record it
        msg = " ".join(str(e).split())
        msg = msg.split(" failed:", 1)[1] if " failed:" in msg else msg  # drop "Load model from <abs path>"
        return {"loads": False, "error": msg[:400]}


def quantize_input(x: np.ndarray, scale: float, zero_point: int, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero_point, info.min, info.max).astype(dtype)


def update_manifest(cells: list[dict], tools: dict[str, str] | None = None, key: str = "cells") -> None:
    import fcntl
    ROOT.mkdir(parents=True, exist_ok=True)
    with open(ROOT / ".manifest.lock", "w") as lock:  # the Keras and PyTorch scripts may run at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        _merge_manifest(cells, tools, key)


def _merge_manifest(cells: list[dict], tools: dict[str, str] | None, key: str) -> None:
    """key "cells": the matrix; key "float": float exports + calibration sets (inputs for other quantizers)."""
    data = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    data.setdefault("tools", {})
    ids = {c["id"] for c in cells}
    data[key] = sorted([c for c in data.get(key, []) if c["id"] not in ids] + cells, key=lambda c: c["id"])
    data["tools"].update(tools or {})
    data["tools"] = dict(sorted(data["tools"].items()))
    order = ["tools", "cells", "float"]
    data = {k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else 99)}
    MANIFEST.write_text(json.dumps(data, indent=1) + "\n")


def float_model_entry(arch: str, exporter: str, model: Path, calib: Path, samples: Path, labels: Path) -> dict:
    inputs, outputs = onnx_io(model)
    return {"id": f"{exporter}/{arch}", "arch": arch, "exporter": exporter, "model": rel(model),
            "opset": onnx_opset(model), "inputs": inputs, "outputs": outputs,
            "calibration": rel(calib), "samples": rel(samples), "labels": rel(labels)}


def cell_entry(arch: str, path_id: str, tool: str, model: Path, samples: np.ndarray, labels: np.ndarray | None,
               calib: Path, tflite: Path | None = None, extra: dict | None = None) -> dict:
    """A matrix cell for a model the exporter wrote; also saves its samples next to it."""
    c = {"id": f"{path_id}/{arch}", "arch": arch, "path": path_id, "tool": tool,
         "model": rel(model), "format": model.suffix[1:], "calibration": rel(calib)}
    if tflite is not None:
        c["tflite"] = rel(tflite)
    if model.suffix == ".onnx":
        c["opset"] = onnx_opset(model)
        c["inputs"], c["outputs"] = onnx_io(model)
        c["onnxruntime"] = ort_check(model, samples, labels)
    sp = model.with_suffix(".samples.npy")
    save_npy(sp, samples)
    c["samples"] = rel(sp)
    c.update(extra or {})
    return c


def failed_cell(arch: str, path_id: str, tool: str, error: str, extra: dict | None = None) -> dict:
    """The exporter itself failed: no model, the error recorded for MATRIX.md."""
    return {"id": f"{path_id}/{arch}", "arch": arch, "path": path_id, "tool": tool, "exportError": error, **(extra or {})}


def error_line(e: BaseException) -> str:
    lines = [l for l in str(e).strip().splitlines() if l.strip()]
    return f"{type(e).__name__}: {lines[0][:280]}" if lines else type(e).__name__
