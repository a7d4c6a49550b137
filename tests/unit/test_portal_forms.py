"""The signup form's country list, rendered from a cache, is exactly WTForms' own rendering."""

from __future__ import annotations

import pytest
from wtforms import Form, SelectField

from sandbox.portal import countries
from sandbox.portal.forms import CountrySelect, choice


class _Stock(Form):
    pays = SelectField("Pays", default="FR", validate_choice=False)


class _Cached(Form):
    pays = SelectField("Pays", default="FR", validate_choice=False, widget=CountrySelect())


@pytest.mark.parametrize("data", ["FR", "DE", "ZW", "", "ZZ", "fr", None])
@pytest.mark.parametrize("attributes", [{}, {"aria-invalid": "true",
                                             "aria-describedby": "erreur-pays"}])
def test_the_cached_country_list_is_what_wtforms_renders(data, attributes):
    values = None if data is None else {"pays": data}
    stock, cached = _Stock(data=values), _Cached(data=values)
    stock.pays.choices = [choice(code, name) for code, name in countries.choices()]
    expected = str(stock.pays(**attributes))
    assert str(cached.pays(**attributes)) == expected
    assert str(cached.pays(**attributes)) == expected  # the second time from the cache
    shown = "FR" if data is None else data  # no data: the field's default
    chosen = shown in {code for code, _ in countries.choices()}
    assert expected.count(" selected ") == chosen
    assert (f'<option selected value="{shown}">' in expected) == chosen
