"""Peak memory of one call, for the tests that bound memory by the input's size."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable


def peak_bytes(function: Callable[[], object]) -> int:
    """Peak of Python and NumPy allocations (NumPy reports its buffers to tracemalloc) in ``function()``."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
