"""The memory figure that decides when a pooled process retires (``process_info.memory_mb``)."""

from __future__ import annotations

import mmap
import os

import numpy as np

from vae.training.process_info import memory_mb

MB = 2**20


def test_private_memory_counts_what_a_process_writes_not_the_files_it_maps(tmp_path):
    # A pooled process maps ~460 MB of TensorFlow's libraries. USS counted those pages as its own
    # whenever no other process happened to map them (740-790 MB alone, ~450 MB beside another),
    # so an ordinary job looked like a leak and the process retired. A file only this test maps
    # stands in for the libraries.
    path = tmp_path / "library.bin"
    with open(path, "wb") as f:
        f.write(os.urandom(64 * MB))
        os.fsync(f.fileno())  # written back: clean pages, as a library's are
    before = memory_mb()
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as pages:
        assert sum(pages[i] for i in range(0, len(pages), mmap.PAGESIZE)) >= 0  # touch every page
        mapped = memory_mb()
    assert mapped["rss"] - before["rss"] > 48  # the pages are resident in this process
    assert mapped["private"] - before["private"] < 8  # yet not its private memory
    heap = np.ones(64 * MB, np.uint8)  # memory it writes is
    assert memory_mb()["private"] - before["private"] > 48
    assert heap.sum() == 64 * MB


def test_a_process_that_is_gone_has_no_figures():
    assert memory_mb(2**22 + 1) == {}  # above Linux's largest pid
