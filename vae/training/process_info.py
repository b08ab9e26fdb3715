"""A pooled training process's memory and name, read and set through Linux's /proc (no TensorFlow).

The worker child names itself (``set_process_name``) so the pool, tests and benchmarks can tell
warming, idle and busy processes apart; ``memory_mb`` decides when a process retires and what
the benchmarks report.
"""

from __future__ import annotations

import contextlib
import ctypes

# /proc/PID/comm of a pooled process (also shown by ps), so tests and benchmarks can tell them apart.
WARMING_NAME, IDLE_NAME, BUSY_NAME = b"vae-warming", b"vae-idle", b"vae-busy"


def memory_mb(pid: int | str = "self") -> dict[str, float]:
    """A process's memory in MB (Linux ``/proc/PID/smaps_rollup``); empty if it is gone.

    Returns:
        dict with ``rss`` (resident, counting shared libraries in full), ``pss``
        (shared pages split among the processes sharing them: these add up to
        the memory of a pool in all) and ``private`` (pages this process wrote: its heap,
        which only it can hold). Not USS, which also counts the file pages of libraries that
        no other process happens to map: TensorFlow's ~460 MB of them made a pooled process
        read 740-790 MB when it ran alone and ~450 MB beside another.
    """
    fields: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in ("Rss", "Pss", "Private_Dirty"):
                    fields[name] = int(rest.split()[0]) / 1024.0
        return {"rss": fields["Rss"], "pss": fields["Pss"], "private": fields["Private_Dirty"]}
    except (OSError, ValueError, IndexError, KeyError):  # gone, or a zombie (no memory left)
        return {}


def set_process_name(name: bytes) -> None:
    """Name this process (``/proc/PID/comm``, ``ps``) so idle and busy workers can be told apart."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
