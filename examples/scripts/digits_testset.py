"""Writes the held-out digits test split (the one digits.py evaluates on) for
edgec's own accuracy check of the compiled C: examples/digits/test_x.npy
(float32 [450, 1, 8, 8], pixels / 16) and test_y.npy (int32 labels)."""
from pathlib import Path

import numpy as np

from digits import load

OUT = Path(__file__).resolve().parent.parent / "digits"


def main() -> None:
    _, x_te, _, y_te = load()
    np.save(OUT / "test_x.npy", np.ascontiguousarray(x_te, dtype=np.float32))
    np.save(OUT / "test_y.npy", np.asarray(y_te, dtype=np.int32))
    print(f"wrote {len(y_te)} test images to {OUT}")


if __name__ == "__main__":
    main()
