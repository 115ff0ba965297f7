"""Run one command as a child process and print its wall time, CPU time (user +
system) and peak memory as JSON.

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
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
                      "exit": p.returncode}))
