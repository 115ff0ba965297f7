"""Run one command as a child process and print its wall time and peak memory as JSON.

    python benchmarks/measure.py -- CMD ARGS...

A separate process per measurement, so each peak (ru_maxrss of the only child) is its own.
"""

import json
import resource
import subprocess
import sys
import time

if __name__ == "__main__":
    cmd = sys.argv[sys.argv.index("--") + 1:]
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall_s": wall, "peak_mb": peak_kb / 1024, "exit": p.returncode}))
