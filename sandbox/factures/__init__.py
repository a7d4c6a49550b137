"""Factures: deposited flux, their compte rendu, invoices and their lifecycle (issue #11).

``models`` holds the tables; the operations register themselves in the cpro
operation registry when their modules are imported (see ``register``).
"""
