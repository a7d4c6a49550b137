"""Load runs and benchmarks of the sandbox (``make load``, ``make bench``).

The locustfiles live in ``loadtests/``; this package starts the stack in the
load profile, runs Locust headless as a subprocess, and checks correctness after.
"""
