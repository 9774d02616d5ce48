"""A watchdog for the event loop a test's bot runs on: when the loop stops answering, log where it is stuck.

A test that waits for the bot fails with «not idle within …» whether the bot was slow or its loop was
blocked (a database call made on the loop that waits for a lock, say). The stack logged here, shown with
the failing test's captured log, tells which.
"""

import logging
import sys
import threading
import traceback

log = logging.getLogger("tests.watchdog")


def _stack(ident: int) -> str:
    frame = sys._current_frames().get(ident)
    return "".join(traceback.format_stack(frame)) if frame is not None else "(no frame)"


def thread_stacks() -> str:
    """Every thread's stack, named."""
    return "\n".join(f"--- {t.name}\n{_stack(t.ident)}" for t in threading.enumerate())


class LoopWatchdog:
    """From a thread of its own, asks the loop to run a no-op every `every` seconds; when it has not run after
    `stall` seconds, logs the loop thread's stack, once per stall."""

    def __init__(self, loop, *, stall: float = 1.0, every: float = 0.25):
        self.loop = loop
        self.stall = stall
        self.every = every
        self.loop_thread = threading.get_ident()  # made on the loop's thread
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loop-watchdog", daemon=True)

    def start(self) -> "LoopWatchdog":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            answered = threading.Event()
            try:
                self.loop.call_soon_threadsafe(answered.set)
            except RuntimeError:  # the loop is closed
                return
            if answered.wait(self.stall):
                continue
            log.warning("event loop blocked for over %.1f s, at:\n%s", self.stall, _stack(self.loop_thread))
            while not answered.wait(self.every) and not self._stop.is_set():
                pass
