"""Third-party ONNX quantizers on the committed float exports (float/torchscript).

  python quantizers.py nncf   [arch ...]   NNCF nncf.quantize (ONNX backend, default preset)   -> nncf/
  python quantizers.py ppq    [arch ...]   esp-ppq espdl_quantize_onnx (target esp32p4, 8 bit),
                                            graph exported as ONNX QDQ (TargetPlatform.ONNXRUNTIME) -> esp-ppq/
  python quantizers.py quark  [arch ...]   AMD Quark ONNX ModelQuantizer, configs XINT8 (power-of-two
                                            scales, the NPU default) and S8S8_AAWS  -> quark-xint8/, quark-s8s8/
Each tool lives in its own venv (it pins its own onnx / onnxruntime / torch): see README.md.
Calibration = the committed <arch>.calib.npy, samples = <arch>.samples.npy, batch 1.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import onnx

from archs import ARCHS
from fixtures import MANIFEST, REPO, cell_dir, cell_entry, error_line, failed_cell, seed_everything, update_manifest


def float_entry(arch: str) -> dict:
    data = json.loads(MANIFEST.read_text())
    return next(e for e in data["float"] if e["id"] == f"torchscript/{arch}")


class Reader:
    """onnxruntime-style CalibrationDataReader (NNCF, Quark) over the calibration array."""

    def __init__(self, name: str, calib: np.ndarray):
        self.name, self.calib, self.i = name, calib, 0

    def get_next(self):
        if self.i >= len(self.calib):
            return None
        self.i += 1
        return {self.name: self.calib[self.i - 1:self.i]}

    def rewind(self):
        self.i = 0


def run_nncf(fp: Path, out: Path, calib: np.ndarray, name: str) -> None:
    import nncf
    ds = nncf.Dataset([{name: calib[i:i + 1]} for i in range(len(calib))])
    q = nncf.quantize(onnx.load(str(fp)), ds, subset_size=len(calib))
    onnx.save(q, str(out))


def run_ppq(fp: Path, out: Path, calib: np.ndarray, name: str) -> None:
    import torch
    from esp_ppq.api import espdl_quantize_onnx, export_ppq_graph
    from esp_ppq.core import TargetPlatform
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "model.onnx"
        shutil.copyfile(fp, src)  # espdl_quantize_onnx overwrites its input with the simplified model
        batches = [torch.from_numpy(calib[i:i + 1]) for i in range(len(calib))]
        graph = espdl_quantize_onnx(onnx_import_file=str(src), espdl_export_file=str(Path(td) / "model.espdl"),
                                    calib_dataloader=batches, calib_steps=len(batches),
                                    input_shape=list(calib.shape[1:]) and [1, *calib.shape[1:]],
                                    target="esp32p4", num_of_bits=8, device="cpu", error_report=False,
                                    export_config=False)
        export_ppq_graph(graph=graph, platform=TargetPlatform.ONNXRUNTIME, graph_save_to=str(out))


def run_quark(config: str):
    def run(fp: Path, out: Path, calib: np.ndarray, name: str) -> None:
        from onnxruntime.quantization import CalibrationDataReader
        from quark.onnx import ModelQuantizer
        from quark.onnx.quantization.config import Config, get_default_config

        class R(Reader, CalibrationDataReader):
            pass
        ModelQuantizer(Config(global_quant_config=get_default_config(config))).quantize_model(str(fp), str(out), R(name, calib))
    return run


TOOLS = {
    "nncf": [("nncf", "nncf", run_nncf, "NNCF {v} nncf.quantize (ONNX, default preset)")],
    "ppq": [("esp-ppq", "esp-ppq", run_ppq, "esp-ppq {v} espdl_quantize_onnx(target=esp32p4, 8 bit) -> export_ppq_graph(ONNXRUNTIME QDQ)")],
    "quark": [("quark-xint8", "amd-quark", run_quark("XINT8"), "AMD Quark {v} ONNX ModelQuantizer XINT8"),
              ("quark-s8s8", "amd-quark", run_quark("S8S8_AAWS"), "AMD Quark {v} ONNX ModelQuantizer S8S8_AAWS")],
}


def main(tool: str, archs: list[str]) -> None:
    seed_everything(5)
    for path_id, package, run, desc in TOOLS[tool]:
        v = version(package)
        tool_desc = desc.format(v=v)
        for arch in archs:
            f = float_entry(arch)
            fp, calib = REPO / f["model"], np.load(REPO / f["calibration"])
            xs, ys = np.load(REPO / f["samples"]), np.load(REPO / f["labels"])
            out = cell_dir(path_id) / f"{arch}.onnx"
            try:
                run(fp, out, calib, f["inputs"][0]["name"])
                c = cell_entry(arch, path_id, tool_desc, out, xs, ys, REPO / f["calibration"],
                               extra={"from": f["model"]})
            except Exception as e:
                print(f"  {path_id}/{arch}: {error_line(e)}", flush=True)
                if out.exists():
                    out.unlink()
                c = failed_cell(arch, path_id, tool_desc, error_line(e), {"from": f["model"]})
            print(f"{path_id}/{arch}: {c.get('onnxruntime', c.get('exportError'))}", flush=True)
            update_manifest([c], {package: v})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or list(ARCHS))
