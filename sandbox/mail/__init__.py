"""E-mail: French templates, a transactional outbox, and its SMTP dispatcher.

* ``outbox`` — ``enqueue`` a mail in the caller's transaction;
* ``render`` — the templates (``templates/<kind>.txt`` and ``.html``);
* ``senders`` — one ``send_*_email`` per mail;
* ``dispatcher`` — SMTP delivery to Mailpit (lease renewed while it works);
* ``binary``, ``build`` — where the Mailpit binary is, and building it from its Go module.

The package imports none of them, so that ``binary`` (read by the tools at every start)
stays light.
"""
