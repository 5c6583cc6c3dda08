"""PyTorch -> ONNX -> onnxruntime quantize_static (QDQ): the PyTorch-born cells.

For every architecture in archs.py: train the PyTorch model a few epochs, then
  float/torchscript   torch.onnx.export(dynamo=False, opset 13), BatchNorm kept
  float/dynamo        torch.onnx.export(dynamo=True), the exporter's default opset
  ort-ts-s8-perchannel / ort-ts-s8-pertensor / ort-ts-u8-perchannel
  ort-dynamo-s8-perchannel / ort-dynamo-u8-pertensor
      quant_pre_process + quantize_static(QDQ), activations QInt8 (s8) or QUInt8 (u8),
      weights QInt8 per channel or per tensor, calibration = the committed set.
The float exports and calibration sets are what nncf_path.py, ppq_path.py and
quark_path.py quantize. Run with the PyTorch venv:  python torch_paths.py [arch ...]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch

from archs import ARCHS, torch_model
from data import N_CALIB, load, to_torch_layout
from fixtures import (N_SAMPLES, cell_dir, cell_entry, error_line, failed_cell, float_model_entry, save_npy,
                      seed_everything, update_manifest)

SEED = 5
EPOCHS = 8

ORT_CELLS = {  # path id -> (float export, activation type, per channel)
    "ort-ts-s8-perchannel": ("torchscript", "QInt8", True),
    "ort-ts-s8-pertensor": ("torchscript", "QInt8", False),
    "ort-ts-u8-perchannel": ("torchscript", "QUInt8", True),
    "ort-dynamo-s8-perchannel": ("dynamo", "QInt8", True),
    "ort-dynamo-u8-pertensor": ("dynamo", "QUInt8", False),
}


def train(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(EPOCHS):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 32):
            idx = perm[i:i + 32]
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def export_float(model, shape, path: Path, dynamo: bool) -> None:
    x = torch.zeros(shape, dtype=torch.float32)
    if dynamo:
        torch.onnx.export(model, (x,), str(path), dynamo=True, input_names=["input"], output_names=["logits"],
                          external_data=False)
    else:
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=13, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE)
    m = onnx.load(str(path))
    m.doc_string = ""
    onnx.save(m, str(path))


class Reader:
    def __init__(self, name: str, samples: np.ndarray):
        self.name, self.samples, self.i = name, samples, 0

    def get_next(self):
        if self.i >= len(self.samples):
            return None
        self.i += 1
        return {self.name: self.samples[self.i - 1:self.i]}

    def rewind(self):
        self.i = 0


def ort_quantize(fp: Path, out: Path, calib: np.ndarray, act: str, per_channel: bool) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class R(Reader, CalibrationDataReader):
        pass
    name = onnx.load(str(fp)).graph.input[0].name
    with tempfile.TemporaryDirectory() as td:
        pre = Path(td) / "pre.onnx"
        quant_pre_process(str(fp), str(pre))
        quantize_static(str(pre), str(out), R(name, calib), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        activation_type=getattr(QuantType, act), weight_type=QuantType.QInt8)
    m = onnx.load(str(out))
    used = {n.domain for n in m.graph.node} | {""}  # quant_pre_process declares every ORT domain
    keep = [o for o in m.opset_import if o.domain in used or o.domain == "ai.onnx"]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    onnx.save(m, str(out))


def main(archs: list[str]) -> None:
    seed_everything(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    import onnxruntime
    tools = {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__}
    for arch in archs:
        x_tr, x_te, y_tr, y_te, classes = load(ARCHS[arch])
        x_tr, x_te = to_torch_layout(x_tr), to_torch_layout(x_te)
        torch.manual_seed(SEED)
        model = torch_model(arch, x_tr.shape[1] if x_tr.ndim > 2 else 1, classes)
        train(model, x_tr, y_tr)
        with torch.no_grad():
            acc = float((model(torch.from_numpy(x_te)).argmax(1).numpy() == y_te).mean())
        print(f"{arch}: torch float accuracy {acc:.3f}", flush=True)
        calib = x_tr[:N_CALIB]
        xs, ys = x_te[:N_SAMPLES], y_te[:N_SAMPLES]
        floats, cells = {}, []
        for exporter in ("torchscript", "dynamo"):
            d = cell_dir(f"float/{exporter}")
            fp = d / f"{arch}.onnx"
            cal, sp, lp = d / f"{arch}.calib.npy", d / f"{arch}.samples.npy", d / f"{arch}.labels.npy"
            save_npy(cal, calib)
            save_npy(sp, xs)
            save_npy(lp, ys)
            try:
                export_float(model, (1, *x_tr.shape[1:]), fp, exporter == "dynamo")
            except Exception as e:
                print(f"  {exporter} export failed: {error_line(e)}")
                continue
            floats[exporter] = (fp, cal)
            update_manifest([float_model_entry(arch, exporter, fp, cal, sp, lp) | {"torchFloatAccuracy": round(acc, 4)}],
                            tools, key="float")
        for pid, (exporter, act, per_channel) in ORT_CELLS.items():
            tool = f"onnxruntime {onnxruntime.__version__} quantize_static QDQ {act} activations, " \
                   f"QInt8 weights {'per channel' if per_channel else 'per tensor'}, from torch {exporter}"
            if exporter not in floats:
                cells.append(failed_cell(arch, pid, tool, f"torch.onnx.export ({exporter}) failed"))
                continue
            fp, cal = floats[exporter]
            out = cell_dir(pid) / f"{arch}.onnx"
            try:
                ort_quantize(fp, out, calib, act, per_channel)
            except Exception as e:
                print(f"  {pid}: {error_line(e)}")
                cells.append(failed_cell(arch, pid, tool, error_line(e)))
                continue
            cells.append(cell_entry(arch, pid, tool, out, xs, ys, cal))
        update_manifest(cells, tools)


if __name__ == "__main__":
    main(sys.argv[1:] or list(ARCHS))
