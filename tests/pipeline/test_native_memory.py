import subprocess
import sys
import textwrap

import pytest

# A child process allocates 100 buffers of 4 MB with small long-lived objects between them,
# frees the buffers, and prints how much of the 400 MB it still holds.
CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from pipeline.native_memory import return_large_buffers
    if sys.argv[1] == "fixed":
        assert return_large_buffers()
    def resident_mb():
        return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
    np.ones(1 << 20).sum()  # one large buffer freed: glibc would now raise its threshold
    before = resident_mb()
    buffers, keep = [], []
    for _ in range(100):
        buffers.append(np.ones(1 << 19))  # 4 MB
        keep.append(bytearray(64 * 1024))  # small, stays: pins the heap above a freed buffer
    del buffers
    print(resident_mb() - before)
""")


def held_mb(mode: str) -> float:
    result = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                            check=True)
    return float(result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_freed_large_buffers_go_back_to_the_system():
    # Without the fix glibc kept 406 MB of the 400 MB freed here on the development machine;
    # whether it does depends on its tunables, so only the fixed case is asserted.
    assert held_mb("fixed") < 50  # the small objects' 6 MB, and some slack
