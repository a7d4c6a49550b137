"""Load shapes over time, driven by the usual -u (users), -r (spawn rate) and -t (run time).

Each shape is abstract here; a file ``shape_<name>.py`` makes one concrete so that
Locust picks exactly that one: ``-f loadtests/locustfile.py,loadtests/shape_ramp.py``.
Every shape stops by itself at -t (default 60 s).
"""

from __future__ import annotations

from locust import LoadTestShape


class ProfileShape(LoadTestShape):
    """Reads -u/-r/-t; ``users_at(fraction)`` says how many users at that point of the run."""

    abstract = True
    use_common_options = True

    def _options(self) -> tuple[int, float, float]:
        opts = self.runner.environment.parsed_options
        users = int(getattr(opts, "num_users", None) or 10)
        rate = float(getattr(opts, "spawn_rate", None) or max(1, users))
        duration = float(getattr(opts, "run_time", None) or 60)
        return users, rate, duration

    def users_at(self, fraction: float, users: int) -> int:
        raise NotImplementedError

    def tick(self) -> tuple[int, float] | None:
        users, rate, duration = self._options()
        elapsed = self.get_run_time()
        if elapsed >= duration:
            return None
        return max(1, self.users_at(elapsed / duration, users)), rate


class Steady(ProfileShape):
    """All users for the whole run."""

    abstract = True

    def users_at(self, fraction: float, users: int) -> int:
        return users


class Ramp(ProfileShape):
    """From one user to all of them, linearly over the run."""

    abstract = True

    def users_at(self, fraction: float, users: int) -> int:
        return round(1 + (users - 1) * fraction)


class Step(ProfileShape):
    """Four equal steps: a quarter of the users, half, three quarters, all."""

    abstract = True
    steps = 4

    def users_at(self, fraction: float, users: int) -> int:
        step = min(self.steps, int(fraction * self.steps) + 1)
        return round(users * step / self.steps)


class Spike(ProfileShape):
    """A fifth of the users, all of them between 40 % and 60 % of the run, then a fifth again."""

    abstract = True

    def users_at(self, fraction: float, users: int) -> int:
        return users if 0.4 <= fraction < 0.6 else max(1, round(users / 5))

    def tick(self) -> tuple[int, float] | None:
        result = super().tick()
        if result is None:
            return None
        count, rate = result
        return count, max(rate, float(count))  # a spike arrives at once
