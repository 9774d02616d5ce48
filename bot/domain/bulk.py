"""Building many small objects at once: the plan parser, scoring, the workbook and the PDF form."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk building.

    Loading a big plan allocates hundreds of thousands of small objects that all stay alive;
    each allocation burst would start a collection that scans them all again for nothing
    (it doubled the load time of a 12,000-aksi plan, and made parsing a 4,500-kegiatan plan
    grow faster than linear). Nothing built here forms cycles that must be freed meanwhile:
    the collector runs again afterwards.

    What was built is handed to the oldest generation (`gc.freeze`, then `gc.unfreeze`) before the
    collector is back on: otherwise its first young collection scans every object built meanwhile
    (0.1–0.2 s after scoring a 3,000-kegiatan plan), only to promote them. The oldest generation is
    still collected as usual, so a cycle left behind here is freed at the next full collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
