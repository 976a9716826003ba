"""The garbage collector set for a long-running server process.

A worker imports the app once and then serves for days: the ~200,000 objects built at
start (modules, classes, the routes, compiled templates' code, regexes) live as long as
the process, yet every full collection walks all of them again. Measured on the cast and
the whole journey under wrk (two workers, PostgreSQL and Redis on the same two cores):
the collector took 7–8 % of a worker's CPU, about half of it in full collections of
~150 ms each. Requests make cyclic garbage only seldom (exceptions' tracebacks, ORM
objects): reference counting frees the rest whatever the thresholds."""

from __future__ import annotations

import gc

# Young objects collected after this many allocations (CPython's default: 700): fewer
# young collections, and fewer short-lived request objects promoted to be walked again.
YOUNG_THRESHOLD = 10_000

_settled = False


def gc_settle() -> None:
    """Once per process, when the app has started: what exists now is moved out of the
    collector's sight (``gc.freeze``: still freed by reference counting, never walked
    again), and young collections come less often. Later calls (several apps in one
    process, as the tests build them) change nothing."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()  # what is garbage already is not frozen with the rest
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
