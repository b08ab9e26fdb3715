"""Compare decoded outputs in standardized units, where float32 round-off has a fixed size.

Two float32 decoders (NumPy and a Keras kernel) agree to about 1e-6 of the values they
compute, which are standardized (order 1). In original units the same difference is
multiplied by the column's scale: on an Intel Xeon, values near 86 differed by 1.1e-4,
so an absolute tolerance in original units fails on one CPU and passes on another.
"""

from __future__ import annotations

import numpy as np

# Round-off of a small float32 MLP in standardized units (DESIGN: decoders match Keras to 1e-5).
DECODE_ATOL = 1e-5


def assert_same_decoding(actual, expected, scale, atol: float = DECODE_ATOL) -> None:
    """Assert two outputs in original units agree once divided by the columns' ``scale``.

    The offset cancels in the difference, so only the scale matters.
    """
    scale = np.asarray(scale, dtype=np.float64)
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64) / scale,
        np.asarray(expected, dtype=np.float64) / scale,
        rtol=0,
        atol=atol,
    )
