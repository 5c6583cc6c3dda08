"""Run a .tflite model with TensorFlow Lite Micro's own interpreter (PyPI tflite-micro).

TFLM is edgec's bit reference: its reference kernels define the int8 arithmetic
we reproduce. Shipped with edgec: `edgec verify model.tflite` and
`edgec build model.tflite --selftest N` run it (compiler/verify/tflm.ts) in the
user's Python ($EDGEC_TFLM_PYTHON, else python3) with PyPI tflite-micro.

    python tflm_run.py model.tflite out.npz in0.npy [in1.npy ...]

Each input .npy holds a batch of samples (first axis = sample, each sample shaped
like the model's input, in the input's dtype). out.npz gets one array per
output, `out<i>`, stacked over samples, in the output's dtype. Exit 3 when
tflite-micro is not importable, so callers can skip.
"""
import sys

import numpy as np

try:
    from tflite_micro.python.tflite_micro import runtime
except Exception as e:  # noqa: BLE001 - any import failure means "not available"
    print(f"tflite-micro not available: {e}", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    model, out_path, *input_paths = sys.argv[1:]
    inputs = [np.load(p) for p in input_paths]
    count = inputs[0].shape[0] if inputs else 1
    interp = runtime.Interpreter.from_file(model, arena_size=64 << 20)
    outputs: dict[int, list[np.ndarray]] = {}
    for s in range(count):
        for i, arr in enumerate(inputs):
            detail = interp.get_input_details(i)
            interp.set_input(arr[s].reshape(detail["shape"]).astype(detail["dtype"]), i)
        interp.invoke()
        k = 0
        while True:
            try:
                out = interp.get_output(k)
            except Exception:  # noqa: BLE001 - no more outputs
                break
            outputs.setdefault(k, []).append(np.array(out, copy=True))
            k += 1
        interp.reset()
    np.savez(out_path, **{f"out{k}": np.stack(v) for k, v in outputs.items()})


if __name__ == "__main__":
    main()
