"""Run a .tflite model with TensorFlow Lite Micro's own interpreter (PyPI tflite-micro).

TFLM is edgec's bit reference: its reference kernels define the int8 arithmetic
we reproduce. Shipped with edgec: `edgec verify model.tflite` and
`edgec build model.tflite --selftest N` run it (compiler/verify/tflm.ts) in the
user's Python ($EDGEC_TFLM_PYTHON, else python3) with PyPI tflite-micro.

    python tflm_run.py model.tflite out.npz in0.npy [in1.npy ...]
    python tflm_run.py --jobs jobs.json     (a list of {"model", "out", "inputs": [...]}:
                                             many models in one process, one interpreter import)

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


def run(model: str, out_path: str, input_paths: list[str], keep_state: bool = False) -> None:
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
        # Reset() zeroes variable tensors (an LSTM's state); keep_state streams them from invoke to invoke
        if not keep_state:
            interp.reset()
    np.savez(out_path, **{f"out{k}": np.stack(v) for k, v in outputs.items()})


def main() -> None:
    if sys.argv[1] == "--jobs":
        import json
        with open(sys.argv[2]) as f:
            for job in json.load(f):
                try:
                    run(job["model"], job["out"], job["inputs"], job.get("keep_state", False))
                except Exception as e:  # noqa: BLE001 - one model TFLM cannot run must not stop the others
                    with open(job["out"] + ".err", "w") as err:
                        err.write(f"{type(e).__name__}: {e}")
        return
    args = sys.argv[1:]
    keep_state = args[0] == "--keep-state"
    model, out_path, *input_paths = args[1:] if keep_state else args
    run(model, out_path, input_paths, keep_state)


if __name__ == "__main__":
    main()
