"""The gateway's cached account: its columns are read positionally into its fields, and
the rights it carries answer ``accounts.rights`` on the read path only."""

from __future__ import annotations

from dataclasses import fields

from sandbox.accounts import rights
from sandbox.piste import gateway


def test_account_columns_follow_the_fields_of_account():
    # ``Account(*row)``: a column out of place would fill the wrong field (login, statut
    # and password_hash are all strings, so mypy cannot tell). ``resolved`` is no column:
    # the gateway fills it once it has read the account's rights.
    assert [column.key for column in gateway._ACCOUNT_COLUMNS] == [
        f.name for f in fields(gateway.Account) if f.name != "resolved"
    ]


def _account(resolved: rights.Resolved | None) -> gateway.Account:
    return gateway.Account(7, "tech@example.test", "ACTIF", True, 3, None, None, 0, None,
                           resolved)


def test_resolved_rights_answer_without_the_database():
    known = rights.Resolved(rights_user_id=5, usable=frozenset({3, 11}))
    account = _account(known)
    # No session at all: a query would fail.
    assert rights.rights_user_id(None, account) == 5  # type: ignore[arg-type]
    usable = rights.usable_structure_ids(None, account)  # type: ignore[arg-type]
    assert usable == {3, 11}
    usable.add(99)  # the caller's copy: the cached rights stay as read
    assert known.usable == frozenset({3, 11})


def test_the_callers_rights_are_its_accounts_resolved_rights():
    known = rights.Resolved(rights_user_id=5, usable=frozenset({3, 11}))
    caller = gateway.Caller(user=_account(known))
    # No session: the rights come from the account, without a query.
    assert caller.rights_user_id(None) == 5  # type: ignore[arg-type]
    assert caller.structure_ids(None) == frozenset({3, 11})  # type: ignore[arg-type]
    assert caller.is_attached(None, 11)  # type: ignore[arg-type]
    assert not caller.is_attached(None, 4)  # type: ignore[arg-type]


def test_a_writing_operation_reads_the_rights_again():
    known = rights.Resolved(rights_user_id=5, usable=frozenset({3}))
    caller = gateway.Caller(user=_account(known))
    assert caller.for_writes().user.resolved is None
    assert caller.user.resolved is known  # the cached caller keeps them
    plain = gateway.Caller(user=_account(None))
    assert plain.for_writes() is plain
