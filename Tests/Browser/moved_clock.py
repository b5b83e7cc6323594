"""A gateway's wall clock that a test moves forward without sleeping and without a clock option
in the gateway: Debian's libfaketime preloaded into countersignd, which reads its offset from a
file on every call. Only the wall clock moves (deadlines, review windows, session lifetimes); the
monotonic clock behind timers and timeouts, and the browser's clock, stay real."""

import glob
import os
from pathlib import Path

LIBRARY = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))), None)


class MovedClock:
    # A Swift program on Linux finds its arguments by walking back from `environ`. A process that
    # starts libfaketime without FAKETIME_SHARED set sets it, which moves `environ`, and the
    # gateway would start with no arguments at all. A shell started with the library sets it
    # and then becomes the gateway (exec: the same process), which finds it already set.
    launcher = ("/bin/sh", "-c", 'exec "$0" "$@"')

    def __init__(self, directory):
        if LIBRARY is None:
            raise RuntimeError("libfaketime is not installed (Debian package libfaketime; make test installs it)")
        self.file = Path(directory) / "clock-offset"
        self.seconds = 0
        self._write()

    def environment(self):
        return {
            **os.environ, "LD_PRELOAD": LIBRARY, "FAKETIME_TIMESTAMP_FILE": str(self.file), "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "NO_FAKE_STAT": "1",
        }

    def advance(self, hours):
        self.seconds += int(hours * 3600)
        self._write()

    def _write(self):
        # Written whole and renamed, so the gateway never reads half an offset.
        partial = self.file.with_suffix(".partial")
        partial.write_text(f"{self.seconds:+d}\n")
        partial.replace(self.file)

    @staticmethod
    def release(pid):
        """The shared memory libfaketime made for the process `pid`, which nobody else removes."""
        for name in (f"/dev/shm/faketime_shm_{pid}", f"/dev/shm/sem.faketime_sem_{pid}"):
            try:
                os.remove(name)
            except FileNotFoundError:
                pass
