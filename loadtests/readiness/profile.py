"""The load to test against: the expected last-evening peak of an edition, with the
arithmetic shown, so the office can check every number."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    population: int
    turnout: float  # share of the population expected to vote online
    last_evening_share: float  # share of all ballots cast on the last evening
    evening_hours: float
    peak_factor: float  # busiest hour of the evening against its average hour

    @property
    def ballots(self) -> int:
        return round(self.population * self.turnout)

    @property
    def evening_ballots(self) -> int:
        return round(self.ballots * self.last_evening_share)

    @property
    def peak_per_minute(self) -> float:
        return self.evening_ballots / self.evening_hours * self.peak_factor / 60

    def arithmetic(self, language: str) -> list[str]:
        if language == "pl":
            return [
                f"mieszkańcy: {self.population:,}".replace(",", " "),
                f"oczekiwana frekwencja online {self.turnout:.0%} → "
                f"{self.ballots:,} głosów".replace(",", " "),
                f"ostatni wieczór ({self.evening_hours:g} h) niesie {self.last_evening_share:.0%}"
                f" → {self.evening_ballots:,} głosów".replace(",", " "),
                f"najtłoczniejsza godzina ×{self.peak_factor:g} średniej → "
                f"{self.peak_per_minute:.1f} głosujących na minutę".replace(".", ","),
            ]
        return [
            f"residents: {self.population:,}",
            f"expected online turnout {self.turnout:.0%} → {self.ballots:,} ballots",
            f"the last evening ({self.evening_hours:g} h) carries {self.last_evening_share:.0%}"
            f" → {self.evening_ballots:,} ballots",
            f"the busiest hour is ×{self.peak_factor:g} the evening's average → "
            f"{self.peak_per_minute:.1f} residents per minute",
        ]


@dataclass(frozen=True)
class Stage:
    multiple: float  # of the expected peak
    residents_per_minute: float
    seconds: float

    def voters(self, pacing_seconds: float) -> int:
        """Concurrent simulated residents: each votes once per ``pacing_seconds``."""
        return max(1, math.ceil(self.residents_per_minute * pacing_seconds / 60))


def stages(profile: Profile, multiples: list[float], seconds: float) -> list[Stage]:
    peak = max(profile.peak_per_minute, 1.0)
    return [Stage(m, peak * m, seconds) for m in multiples]
