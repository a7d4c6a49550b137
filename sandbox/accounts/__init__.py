"""Accounts: the business rules of portal and technical accounts (no HTTP here).

One module per rule, each public function one unit of work on the session it is
given (``db.unit_of_work``); the mails each rule sends are in ``sandbox.mail.senders``.

- ``signup``: a pending account, and its new structure or its demande de rattachement.
- ``activation``: activation links (issue, reissue, request, check) and ``activate``.
- ``rattachements``: the gestionnaire's decision on a demande (one decision wins).
- ``login``: ``authenticate`` and lock-out; ``set_account_state`` for the control plane.
- ``second_factor``: the e-mailed login code.
- ``technical``: technical accounts (create, reset, find) for the API.
- ``rights``: who is a structure's gestionnaire principal, which structures a user has.
- ``validation`` (pure, no database), ``errors`` (French messages), ``tokens`` and
  ``users`` (small shared pieces of the rules above).
"""
