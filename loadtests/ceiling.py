"""The ceiling probe of `make bench`: one trivial GET, nothing else.

A locustfile of its own so that it never joins the default mix:
``locust -f loadtests/ceiling.py --ceiling-path /_sandbox/ping ...``.
"""

from __future__ import annotations

import common
from locust import FastHttpUser, task


class CeilingUser(FastHttpUser):
    """The ceiling probe for `make bench`: one trivial GET, nothing else."""

    wait_time = common.think_time

    @task
    def trivial(self) -> None:
        path = self.environment.parsed_options.ceiling_path
        # An unrouted path answers 404 by design (see docs/load.md): that is a success here.
        with self.client.get(path, name=f"{path} (ceiling)", catch_response=True) as response:
            if response.status_code in (200, 404):
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
