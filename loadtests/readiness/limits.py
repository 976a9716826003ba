"""Which resource limited a stage, named in Polish and English, from what the run could see:
the CPU of each role on this machine (the app, the database server, Redis, the generator),
and the app's own ``/metrics`` (waits for a pooled database connection, the time of its
session-store commands, event-loop lag).

The order of the reasoning: requests that waited over a second for a database connection
mean the pool is the limit (a larger pool, or more workers, would let them through) —
unless the app's event loop ran late in a tenth of its checks (the app processes' CPU,
its own work or a machine shared with others: connections are held longer because the
loop is late), or the run's own processes kept this machine's cores busy (then the
busiest of them is the limit and the waits its consequence). Without such waits, slow
session-store commands mean Redis is the limit — slow when, of at least
``MIN_STORE_COMMANDS``, 1 % or more took over ``SLOW_STORE_SECONDS`` (0.1 s, a thousand
times a local Redis's answer), or their mean reached ``SLOW_STORE_MEAN_SECONDS`` (20 ms: a
remote or overloaded Redis that is never very slow but always slow, two or three commands
on every request) — with the same two exceptions: a late event loop times its own lateness
into every command it awaits (the app's CPU is the limit, the slow commands its
consequence), and a busy machine names its busiest role. This is the one view of Redis
from a remote target, whose Redis CPU is not seen. Without either, the busiest role by
CPU. What the run could not see (a remote target's CPU, a ``/metrics`` the generator may
not read) is said, never guessed."""

from __future__ import annotations

from dataclasses import dataclass

import psutil

from loadtests.readiness.appmetrics import (
    LATE_LOOP_SECONDS,
    SLOW_STORE_SECONDS,
    SLOW_WAIT_SECONDS,
    AppSignals,
)

RUN_BUSY = 0.85  # of every core of this machine, taken by the run's own processes
CORES = psutil.cpu_count() or 1
LATE_SHARE = 0.10  # of the event-loop checks late by more than LATE_LOOP_SECONDS
MIN_PROBES = 10  # fewer lag checks than this say nothing
GENERATOR_BUSY = 90.0  # % of the one core gevent runs on
SLOW_STORE_SHARE = 0.01  # of the session-store commands slower than SLOW_STORE_SECONDS
SLOW_STORE_MEAN_SECONDS = 0.02
MIN_STORE_COMMANDS = 10  # fewer commands than this say nothing
CPU_LABELS = {  # the busiest role on the machine, named with its verb
    "database": ("ograniczeniem jest serwer bazy danych", "the database server is the limit"),
    "app": ("ograniczeniem jest CPU procesów aplikacji", "the app processes' CPU is the limit"),
    "Redis": ("ograniczeniem jest Redis", "Redis is the limit"),
    "load generator": (
        "ograniczeniem jest generator obciążenia",
        "the load generator is the limit",
    ),
}


POOL_LABEL = (
    "ograniczeniem jest pula połączeń z bazą danych",
    "the database connection pool is the limit",
)
UNSEEN_CPU = {"pool": ("serwera bazy", "the database server's"), "Redis": ("Redis", "Redis's")}


@dataclass(frozen=True)
class Seen:
    """What the run could observe: the CPU of the target's processes (a target on this
    machine) and the app's metrics (None: read; else why not, in Polish and English)."""

    local: bool = True
    metrics_problem: tuple[str, str] | None = None


def _comma(text: str) -> str:
    return text.replace(".", ",")


def pool_text(app: AppSignals) -> tuple[str, str]:
    """ "8 requests waited > 1 s for a connection (pool 10 + 2 per worker, 2 workers)"."""
    waited, timeouts = int(app.reading.slow_waits), int(app.reading.timeouts)
    extra = f" + {app.pool_overflow}" if app.pool_overflow else ""
    # the pool's size unknown (an app without the gauge, SQLite's own): the workers alone
    pool_pl = "" if app.pool_size is None else f"pula {app.pool_size}{extra} na proces, "
    pool_en = "" if app.pool_size is None else f"pool {app.pool_size}{extra} per worker, "
    workers_en = f"{app.workers} worker" + ("" if app.workers == 1 else "s")
    pl = (
        f"żądań czekających > {SLOW_WAIT_SECONDS:g} s na połączenie z bazą: {waited}"
        + (f", bez połączenia po limicie czasu: {timeouts}" if timeouts else "")
        + f" ({pool_pl}procesów: {app.workers})"
    )
    en = (
        f"{waited} requests waited > {SLOW_WAIT_SECONDS:g} s for a connection"
        + (f", {timeouts} never got one" if timeouts else "")
        + f" ({pool_en}{workers_en})"
    )
    return pl, en


def loop_text(app: AppSignals) -> tuple[str, str]:
    share = f"{app.late_share:.0%}"
    return (
        f"pętla zdarzeń spóźniona > {_comma(f'{LATE_LOOP_SECONDS:g}')} s w {share} sprawdzeń",
        f"the event loop ran late by > {LATE_LOOP_SECONDS:g} s in {share} of checks",
    )


def store_slow(app: AppSignals) -> bool:
    """The app waited for its session store: Redis, as the app sees it, was slow."""
    if app.reading.store_commands < MIN_STORE_COMMANDS:
        return False
    often = app.reading.slow_store >= 1 and app.slow_store_share >= SLOW_STORE_SHARE
    return often or app.store_mean_seconds >= SLOW_STORE_MEAN_SECONDS


def store_text(app: AppSignals) -> tuple[str, str]:
    """ "12 of 900 session-store commands took > 0.1 s (mean 4.2 ms)"."""
    slow, commands = int(app.reading.slow_store), int(app.reading.store_commands)
    mean = f"{app.store_mean_seconds * 1000:.1f}"
    bound = f"{SLOW_STORE_SECONDS:g}"
    return (
        f"poleceń magazynu sesji dłuższych niż {_comma(bound)} s: {slow} z {commands} "
        f"(średnio {_comma(mean)} ms)",
        f"{slow} of {commands} session-store commands took > {bound} s (mean {mean} ms)",
    )


def _cpu_text(role: str, cpu: dict[str, float]) -> tuple[str, str]:
    pl, en = CPU_LABELS[role]
    return f"{pl} ({cpu[role]:.0f} % CPU)", f"{en} ({cpu[role]:.0f} % CPU)"


def limit_of(
    cpu: dict[str, float],
    app: AppSignals | None = None,
    seen: Seen = Seen(),  # noqa: B008 - frozen
) -> tuple[str, str, str] | None:
    """(kind, Polish, English) of the resource that limited the stage, or None when the
    run could not see one. ``cpu``: role → % of one core (100 = one core busy)."""
    busiest = max(cpu, key=cpu.get) if cpu else None
    late = app is not None and app.reading.probes >= MIN_PROBES and app.late_share >= LATE_SHARE
    if app is not None and (app.pool_starved or store_slow(app)):
        pool = app.pool_starved
        waits_pl, waits_en = pool_text(app) if pool else store_text(app)
        if late:
            loop_pl, loop_en = loop_text(app)
            return (
                "app",
                f"{CPU_LABELS['app'][0]}: {loop_pl}; {waits_pl}",
                f"{CPU_LABELS['app'][1]}: {loop_en}; {waits_en}",
            )
        if busiest and sum(cpu.values()) >= RUN_BUSY * 100 * CORES:
            role_pl, role_en = _cpu_text(busiest, cpu)
            return busiest, f"{role_pl}; {waits_pl}", f"{role_en}; {waits_en}"
        kind, (pl, en) = ("pool", POOL_LABEL) if pool else ("Redis", CPU_LABELS["Redis"])
        pl, en = f"{pl}: {waits_pl}", f"{en}: {waits_en}"
        if not seen.local:
            unseen_pl, unseen_en = UNSEEN_CPU[kind]
            pl += f" (CPU {unseen_pl} niewidoczne: cel zdalny)"
            en += f" ({unseen_en} CPU not seen: a remote target)"
        return kind, pl, en
    if busiest is not None and seen.local:
        return (busiest, *_cpu_text(busiest, cpu))
    if late:
        loop_pl, loop_en = loop_text(app)
        return "app", f"{CPU_LABELS['app'][0]}: {loop_pl}", f"{CPU_LABELS['app'][1]}: {loop_en}"
    if cpu.get("load generator", 0.0) >= GENERATOR_BUSY:  # the one role seen from afar
        return ("load generator", *_cpu_text("load generator", cpu))
    return None


def unseen_lines(seen: Seen, *, failed: bool) -> list[tuple[str, str]]:
    """What the verdict could not see, so its limit is read for what it is."""
    lines = []
    if seen.metrics_problem is not None:
        pl, en = seen.metrics_problem
        lines.append(
            (
                f"Nie odczytano metryk aplikacji ({pl}): czekania na połączenie z bazą, "
                "poleceń magazynu sesji (Redis) i pętli zdarzeń nie zmierzono.",
                f"The app's metrics could not be read ({en}): the waits for a database "
                "connection, the session store (Redis) and the event loop were not measured.",
            )
        )
    if not seen.local:
        lines.append(
            (
                "Cel jest zdalny: CPU aplikacji, bazy danych i Redis nie jest widoczne z "
                "generatora.",
                "The target is remote: the CPU of the app, the database and Redis cannot be "
                "seen from the generator.",
            )
        )
    if failed and seen.metrics_problem is not None and not seen.local:
        lines.append(
            (
                "Ograniczenia nie da się wskazać z tego, co widać.",
                "The limit cannot be named from what could be seen.",
            )
        )
    return lines


def signals_line(app: AppSignals | None) -> tuple[str, str] | None:
    """The app's waits over the run, whether or not they limited it."""
    if app is None:
        return None
    waits_pl, waits_en = pool_text(app)
    loop_pl, loop_en = loop_text(app)
    if app.reading.store_commands:  # an app that times its store (and used it)
        store_pl, store_en = store_text(app)
        loop_pl, loop_en = f"{store_pl}; {loop_pl}", f"{store_en}; {loop_en}"
    return f"Aplikacja: {waits_pl}; {loop_pl}.", f"The app: {waits_en}; {loop_en}."


OTHERS_BUSY = 50.0  # % of every core taken by processes outside the run


def others_line(cpu: dict[str, float], machine_cpu: float | None) -> tuple[str, str] | None:
    """A shared machine: processes outside the run took CPU the run's processes lacked."""
    if machine_cpu is None:
        return None
    own = sum(cpu.values()) / CORES  # % of every core
    if machine_cpu - own < OTHERS_BUSY:
        return None
    return (
        f"Uwaga: tę maszynę zajmowały też inne procesy (CPU maszyny {machine_cpu:.0f} %, w "
        f"tym procesy tego testu {own:.0f} %): wyniki są niższe niż na maszynie tylko dla "
        "testu.",
        f"Note: other processes kept this machine busy too (machine CPU {machine_cpu:.0f} %, "
        f"of which this run's processes {own:.0f} %): the figures are lower than on a machine "
        "of the run's own.",
    )
