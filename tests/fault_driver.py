"""Run the pedcomm command line with a pause at a named point of the output helper, for the kill,
signal and concurrency tests (tests/test_faults.py). Not a test module.

    python tests/fault_driver.py POINT FLAG -- ARGS...

POINT is where the run stops: ``work`` (the output is claimed and locked, nothing written yet),
``staging`` (every file is written into the private temporary, not yet in place) or ``swap``
(replacing an existing output without the atomic exchange: the previous output has just been
renamed aside). There the driver writes FLAG and waits until FLAG.go exists (at most 60 s), so
the test can kill it, signal it or start a second run.
"""

import os
import sys
import time
from pathlib import Path


def main():
    point, flag = sys.argv[1], Path(sys.argv[2])
    args = sys.argv[sys.argv.index("--") + 1:]

    def pause():
        flag.write_text(str(os.getpid()))
        go, deadline = Path(f"{flag}.go"), time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    from pedcomm.files import markers, outputs

    if point == "work":
        staging = outputs.Destination.staging

        def paused_staging(self):
            pause()
            return staging(self)

        outputs.Destination.staging = paused_staging
    elif point == "staging":
        hash_tree = markers.hash_tree

        def paused_hash_tree(root):
            pause()
            return hash_tree(root)

        markers.hash_tree = paused_hash_tree
    elif point == "swap":
        rename = os.rename
        outputs._exchange = lambda a, b: False

        def paused_rename(a, b):
            rename(a, b)
            if "-old-" in str(b):
                pause()

        os.rename = paused_rename
    else:
        raise SystemExit(f"unknown point {point}")
    from pedcomm.cli import app

    app(args, prog_name="pedcomm")


if __name__ == "__main__":
    main()
