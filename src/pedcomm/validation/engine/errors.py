"""What stops a validation that is not a finding about the package: kept apart from the runner so
every command can catch it without importing DuckDB or the plan."""

from __future__ import annotations

import tempfile

from ...files.inputs import size_words


class OutOfMemory(Exception):
    """DuckDB ran out of memory, beyond its limit and what it can spill to disk: the validation
    stops (a check half run must not pass, and its findings cannot be listed); the command says so
    in one line and writes nothing."""

    def __init__(self, where: str, limit: int, data_bytes: int):
        super().__init__(where)
        self.where, self.limit, self.data_bytes = where, limit, data_bytes

    def message(self) -> str:
        return (f"pedcomm ran out of memory while {self.where}: DuckDB may use {size_words(self.limit)} here "
                f"for {size_words(self.data_bytes)} of CSV files, and needed more than it could spill to "
                f"disk ({tempfile.gettempdir()}). Nothing was written. Close other programs and run it "
                "again, or run it on a machine with more memory.")



def python_out_of_memory() -> str:
    """The line for Python itself running out of memory (pandas or statsmodels on a large package)."""
    return ("pedcomm ran out of memory: Python could not get the memory it needed (a large package read "
            "into the analyses, or other programs using the memory). Nothing was written. Close other "
            "programs and run it again, or run it on a machine with more memory.")
