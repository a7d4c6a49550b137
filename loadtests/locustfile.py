"""The default locustfile: the three kinds of sandbox users, in a weighted mix.

    locust -f loadtests/locustfile.py --headless -u 20 -r 5 -t 2m -H http://127.0.0.1:8080 \
        --mailpit-url http://127.0.0.1:8025 --client-id ... --client-secret ... \
        --tech-login ... --tech-password ... [--mix signup=3,rattachement=1,api=6,invoice=2]

Add a shape file to change the load over time:
``-f loadtests/locustfile.py,loadtests/shape_spike.py`` (steady, ramp, step, spike).
``make load`` (sandbox/loadtesting) starts a fresh stack and passes all of this.
"""

from __future__ import annotations

from api_users import ApiUser
from invoice_users import InvoiceUser
from locust import events
from portal_users import RattachementUser, SignupUser

from sandbox.loadtesting.options import LOAD_USERS, parse_mix

USER_CLASSES = {
    "signup": SignupUser, "rattachement": RattachementUser, "api": ApiUser,
    "invoice": InvoiceUser,
}
if tuple(USER_CLASSES) != LOAD_USERS:  # the CLI checks --mix against LOAD_USERS before starting
    raise RuntimeError("sandbox.loadtesting.options.LOAD_USERS differs from USER_CLASSES")


@events.init.add_listener
def _apply_mix(environment, **_kw) -> None:  # noqa: ANN001
    """Apply --mix: the weights of the user classes (0 removes a class)."""
    mix = parse_mix(getattr(environment.parsed_options, "mix", "") or "", tuple(USER_CLASSES))
    if not mix:
        return
    for name, cls in USER_CLASSES.items():
        cls.weight = mix.get(name, 0)
    kept = [cls for cls in environment.user_classes if cls.weight > 0 or cls.fixed_count > 0]
    if not kept:
        raise ValueError("--mix leaves no user class with a weight above 0")
    environment.user_classes[:] = kept  # in place: the runner holds this list


__all__ = ["ApiUser", "InvoiceUser", "RattachementUser", "SignupUser"]
