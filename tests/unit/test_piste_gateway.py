"""The gateway's cached account: its columns are read positionally into its fields."""

from __future__ import annotations

from dataclasses import fields

from sandbox.piste import gateway


def test_account_columns_follow_the_fields_of_account():
    # ``Account(*row)``: a column out of place would fill the wrong field (login, statut
    # and password_hash are all strings, so mypy cannot tell).
    assert [column.key for column in gateway._ACCOUNT_COLUMNS] == [
        f.name for f in fields(gateway.Account)
    ]
