"""Mailpit's web UI in Chromium: the inbox lists a mail the sandbox sent, and opening it
shows the message with its activation link (when this Mailpit was built with its UI)."""

from __future__ import annotations

import os

import pytest
from test_portal_browser import browser  # noqa: F401 (fixture)

from sandbox.mail.binary import read_build_record

pytestmark = pytest.mark.browser


def test_the_inbox_shows_a_mail_of_the_sandbox_and_opens_it(
        chorus, chorus_sandbox, browser, tmp_path):  # noqa: F811
    mailpit = getattr(chorus_sandbox, "mailpit", None)
    record = read_build_record(mailpit.binary) if mailpit else {"ui": None, "note": "external"}
    if record["ui"] is not True:
        pytest.skip(f"this Mailpit's build record says ui={record['ui']}: {record['note']}")
    account = chorus.signup(activate=False)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        page.goto(f"{chorus_sandbox.mailpit_url}/")
        row = page.locator("[data-testid=message-row]", has_text=f"To: {account.login}")
        row.first.wait_for()
        assert "Activation de votre compte utilisateur" in row.first.inner_text()
        page.screenshot(path=str(tmp_path / "mailpit-inbox.png"))
        if os.environ.get("MAILPIT_SCREENSHOT"):  # where a person wants to look at it
            page.screenshot(path=os.environ["MAILPIT_SCREENSHOT"])
        row.first.click()
        page.wait_for_url("**/view/*")
        # The message view shows the HTML body in an iframe, with the activation link.
        body = page.frame_locator("iframe#preview-html")
        link = body.locator(f"a[href='{account.activation_link}']")
        link.first.wait_for()
        page.screenshot(path=str(tmp_path / "mailpit-message.png"))
    finally:
        context.close()
