#!/usr/bin/env python3
"""Regenerate every example model under examples/ (deterministic seeds).

    pip install -r examples/requirements.txt
    python examples/make_examples.py            # all models
    python examples/make_examples.py digits     # just some

Each generator (examples/scripts/<name>.py) runs in its own process, writes
<name>/<name>_float.onnx, the quantized variants, calibration.npy and info.json.
CI must not run this: the outputs are committed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ["kws_dscnn", "ic_resnet8", "digits", "vww_mobilenet", "ad_autoencoder", "tf2onnx_int8"]


def main(argv: list[str]) -> int:
    names = argv or MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s): {unknown}; choose from {MODELS}", file=sys.stderr)
        return 2
    for name in names:
        print(f"=== {name}", flush=True)
        r = subprocess.run([sys.executable, str(HERE / "scripts" / f"{name}.py")],
                           cwd=HERE / "scripts",
                           stdout=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONHASHSEED": "0"})
        if r.returncode != 0:
            print(f"{name} failed ({r.returncode})", file=sys.stderr)
            return r.returncode
    return subprocess.run([sys.executable, str(HERE / "check_examples.py")]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
