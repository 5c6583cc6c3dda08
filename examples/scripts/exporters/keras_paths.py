"""Keras -> full-int8 TFLite -> ONNX: the TFLite-born cells of the exporter matrix.

For every architecture in archs.py: train the Keras model a few epochs, then
  tflite-int8io / tflite-floatio   TFLiteConverter full int8 (representative dataset =
                                   the committed calibration set, TFLITE_BUILTINS_INT8),
                                   int8 input/output, or float input/output
  tf2onnx-{int8io,floatio}-op{13,17}  `python -m tf2onnx.convert --tflite` of those
  tflite-pertensor-int8io          the same with per-tensor weights (_experimental_disable_per_channel)
  tflite2onnx-{int8io,floatio,pertensor-int8io}  tflite2onnx 0.4.1 (own venv: $TFLITE2ONNX, default
                                   /work/venv-t2o/bin/tflite2onnx) of those
  float/keras-tf2onnx              the float Keras model through tf2onnx.convert.from_keras
Each ONNX cell keeps its .tflite twin next to it (the bit reference: TFLite Micro).
Run with the TensorFlow venv:  python keras_paths.py [arch ...]
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # examples/scripts: keras_util

import numpy as np
import onnx

from archs import ARCHS, keras_model
from data import N_CALIB, load
from fixtures import (N_SAMPLES, ROOT, cell_dir, cell_entry, onnx_io, onnx_opset, ort_check, quantize_input, rel,
                      save_npy, seed_everything, update_manifest)
from keras_util import canonicalize_names

SEED = 5
EPOCHS = 8
TFLITE2ONNX = os.environ.get("TFLITE2ONNX", "/work/venv-t2o/bin/tflite2onnx")


def train(arch: str):
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x_tr, x_te, y_tr, y_te, classes = load(ARCHS[arch])
    model = keras_model(arch, keras, x_tr.shape[1:], classes)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(x_tr, y_tr, batch_size=32, epochs=EPOCHS, verbose=0, shuffle=True)
    acc = float((model.predict(x_te, verbose=0).argmax(1) == y_te).mean())
    return model, (x_tr, x_te, y_tr, y_te), acc


def to_tflite(model, calib: np.ndarray, int8_io: bool, per_tensor: bool = False) -> bytes:
    import tensorflow as tf

    def representative():
        for i in range(len(calib)):
            yield [calib[i:i + 1]]
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if per_tensor:  # tflite2onnx 0.4.1 converts per-tensor weights only
        conv._experimental_disable_per_channel = True
    if int8_io:
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def tflite_io(path: Path):
    import tensorflow as tf
    it = tf.lite.Interpreter(model_path=str(path))
    d = it.get_input_details()[0]
    return d["dtype"], d["quantization"]


def tflite_samples(tfl: Path, x: np.ndarray) -> np.ndarray:
    dtype, (scale, zp) = tflite_io(tfl)
    return quantize_input(x, scale, zp, dtype) if dtype != np.float32 else x.astype(np.float32)


def run_tool(cmd: list[str]) -> str | None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 0:
        return None
    lines = [l for l in (r.stderr or r.stdout).strip().splitlines() if l.strip()]
    return lines[-1][:300] if lines else f"exit {r.returncode}"


def tf2onnx_tflite(tfl: Path, out: Path, opset: int) -> str | None:
    """`python -m tf2onnx.convert --tflite` run in-process (same code path, one TensorFlow import)."""
    import tf2onnx
    try:
        tf2onnx.convert.from_tflite(str(tfl), opset=opset, output_path=str(out))
        return None
    except Exception as e:
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:280]}" if str(e).strip() else type(e).__name__


def tool_versions() -> dict[str, str]:
    import keras
    import tensorflow as tf
    import tf2onnx
    v = {"tensorflow": tf.__version__, "keras": keras.__version__, "tf2onnx": tf2onnx.__version__}
    r = subprocess.run([str(Path(TFLITE2ONNX).with_name("python")), "-c",
                        "import tflite2onnx; print(tflite2onnx.__version__)"], capture_output=True, text=True)
    v["tflite2onnx"] = r.stdout.strip() if r.returncode == 0 else f"not installed: {r.stderr.strip()[-200:]}"
    return v


def cell(arch, path_id, model: Path, tool, samples, y, tflite: Path | None, calib: Path, extra=None):
    """fixtures.cell_entry in this script's argument order."""
    return cell_entry(arch, path_id, tool, model, samples, y, calib, tflite, extra)


def main(archs: list[str]) -> None:
    seed_everything(SEED)
    import keras
    import tensorflow as tf
    import tf2onnx
    versions = tool_versions()
    tfv, t2o = versions["tensorflow"], versions["tf2onnx"]
    cells = []
    for arch in archs:
        model, (x_tr, x_te, y_tr, y_te), acc = train(arch)
        print(f"{arch}: keras float accuracy {acc:.3f}", flush=True)
        calib = x_tr[:N_CALIB]
        cal_path = cell_dir("float/keras-tf2onnx") / f"{arch}.calib.npy"
        save_npy(cal_path, calib)
        xs, ys = x_te[:N_SAMPLES], y_te[:N_SAMPLES]

        # float Keras model through tf2onnx (input for the QOperator / own-PTQ variants)
        fp = cal_path.parent / f"{arch}.onnx"
        spec = (tf.TensorSpec((1, *x_tr.shape[1:]), tf.float32, name="input"),)
        m, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=13)
        m.doc_string = ""
        canonicalize_names(m)
        onnx.save(m, str(fp))

        for io in ("int8io", "floatio", "pertensor-int8io"):
            tdir = cell_dir(f"tflite-{io}")
            tfl = tdir / f"{arch}.tflite"
            tfl.write_bytes(to_tflite(model, calib, io.endswith("int8io"), io.startswith("pertensor")))
            samples = tflite_samples(tfl, xs)
            cells.append(cell(arch, f"tflite-{io}", tfl, f"tensorflow {tfv} TFLiteConverter full int8 ({io})",
                              samples, ys, tfl, cal_path, {"kerasFloatAccuracy": round(acc, 4)}))
            for opset in ((13, 17) if io != "pertensor-int8io" else ()):
                pid = f"tf2onnx-{io}-op{opset}"
                d = cell_dir(pid)
                twin = d / f"{arch}.tflite"
                shutil.copyfile(tfl, twin)
                out = d / f"{arch}.onnx"
                err = tf2onnx_tflite(twin, out, opset)
                if err:
                    print(f"  {pid}: tf2onnx failed: {err}")
                    cells.append({"id": f"{pid}/{arch}", "arch": arch, "path": pid, "tool": f"tf2onnx {t2o}",
                                  "exportError": err, "tflite": rel(twin)})
                    continue
                om = onnx.load(str(out))
                canonicalize_names(om)  # tf2onnx's generated names vary between runs
                onnx.save(om, str(out))
                cells.append(cell(arch, pid, out, f"tf2onnx {t2o} --tflite --opset {opset}", samples, ys, twin, cal_path))
            pid = f"tflite2onnx-{io}"
            d = cell_dir(pid)
            twin = d / f"{arch}.tflite"
            shutil.copyfile(tfl, twin)
            out = d / f"{arch}.onnx"
            err = run_tool([TFLITE2ONNX, str(twin), str(out)]) if Path(TFLITE2ONNX).exists() else "tflite2onnx not installed"
            if err:
                print(f"  {pid}: tflite2onnx failed: {err}")
                if out.exists():
                    out.unlink()
                cells.append({"id": f"{pid}/{arch}", "arch": arch, "path": pid,
                              "tool": f"tflite2onnx {versions['tflite2onnx']}", "exportError": err, "tflite": rel(twin)})
                continue
            cells.append(cell(arch, pid, out, f"tflite2onnx {versions['tflite2onnx']}", samples, ys, twin, cal_path))
        update_manifest(cells, versions)  # after every architecture: a crash keeps what is done
        cells = []


if __name__ == "__main__":
    main(sys.argv[1:] or list(ARCHS))
