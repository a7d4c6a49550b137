"""The stateless captcha (issue 13.4): showing the form writes nothing; a challenge id is a
signed, expiring token; a forged or expired one is refused; single use holds under
concurrent submits. Real HTTP on the session stack (captcha_mode=image)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from portal_support import field_error, signup_values, visitor
from sqlalchemy import func, select

from sandbox import state
from sandbox.models import Captcha, User
from sandbox.testing.portal import find_form


def _count(s, model, *where) -> int:
    s.rollback()
    return s.scalar(select(func.count()).select_from(model).where(*where))


def test_showing_the_form_writes_nothing(base_url, db_session):
    before = _count(db_session, Captcha)
    ids = set()
    for _ in range(5):
        page = visitor(base_url).get("/creer-un-compte")
        ids.add(find_form(page.text, "/creer-un-compte").fields["captcha_id"])
    assert len(ids) == 5
    assert _count(db_session, Captcha) == before


def test_a_forged_id_is_refused_everywhere(base_url):
    portal = visitor(base_url)
    form = find_form(portal.get("/creer-un-compte").text, "/creer-un-compte")
    genuine = form.fields["captcha_id"]
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
    for captcha_id in (forged, "x" * 300, "nothing"):
        assert requests.get(f"{base_url}/_sandbox/captcha/{captcha_id}",
                            timeout=10).status_code == 404
        assert portal.get(f"/captcha/{captcha_id}.png").status_code == 404
    answer = portal.captcha_answer(genuine)  # the genuine one's answer does not help
    data = dict(form.fields, **signup_values(), captcha=answer, captcha_id=forged)
    refused = portal.http.post(portal.url("/creer-un-compte"), data=data, allow_redirects=False)
    assert refused.status_code == 400 and field_error(refused.text, "captcha")


def test_a_challenge_expires_on_the_sandbox_clock(base_url, clock_restored):
    portal = visitor(base_url)
    form = find_form(portal.get("/creer-un-compte").text, "/creer-un-compte")
    captcha_id = form.fields["captcha_id"]
    answer = portal.captcha_answer(captcha_id)
    state.set_clock_offset(state.refresh().clock_offset_seconds + 31 * 60)
    assert portal.get(f"/captcha/{captcha_id}.png").status_code == 404
    data = dict(form.fields, **signup_values(), captcha=answer)
    late = portal.http.post(portal.url("/creer-un-compte"), data=data, allow_redirects=False)
    assert late.status_code == 400 and field_error(late.text, "captcha")


def test_one_challenge_signs_up_once_under_concurrent_submits(base_url, db_session):
    portal = visitor(base_url)
    form = find_form(portal.get("/creer-un-compte").text, "/creer-un-compte")
    answer = portal.captcha_answer(form.fields["captcha_id"])
    bodies = [dict(form.fields, **signup_values(), captcha=answer) for _ in range(8)]

    def submit(data: dict) -> int:
        with requests.Session() as http:
            http.cookies.update(portal.http.cookies)
            return http.post(portal.url("/creer-un-compte"), data=data, allow_redirects=False,
                             timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        statuses = list(pool.map(submit, bodies))
    assert sorted(statuses) == [303] + [400] * (len(bodies) - 1)
    logins = [b["login_email"].lower() for b in bodies]
    assert _count(db_session, User, User.login.in_(logins)) == 1
