"""Portal page ``/qualification/jeu-de-donnees``: generate and download a data set.

As on the real qualification portal, a logged-in user clicks a button; the data
set is generated at once, offered as a CSV download, and the user is e-mailed that
it is ready.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select

from sandbox import db
from sandbox.factures.rules.scenarios import MARKERS
from sandbox.models import Dataset
from sandbox.portal.auth import current_user, logged_in_user, login_required
from sandbox.portal.pages import form_expired
from sandbox.seeding.credentials import scenario_recipients
from sandbox.seeding.dataset import generate_dataset, parse_dataset_csv

bp = Blueprint("seeding", __name__, template_folder="templates")


class GenerateForm(FlaskForm):
    """The "Générer un jeu de données" button (CSRF only)."""


def _own_dataset(dataset_id: int) -> Dataset:
    dataset = db.session().get(Dataset, dataset_id)
    user = current_user()
    if dataset is None or user is None or dataset.requester_user_id != user.id:
        abort(404)
    return dataset


@bp.get("/qualification/jeu-de-donnees")
@login_required
def page():
    """Show the button and the user's previous data sets."""
    user = logged_in_user()
    datasets = db.session().scalars(
        select(Dataset).where(Dataset.requester_user_id == user.id).order_by(Dataset.id.desc())
    ).all()
    return _page(datasets=datasets, dataset=None)


@bp.post("/qualification/jeu-de-donnees")
@login_required
def generate():
    """Generate a data set for the logged-in user; its mail leaves with the commit."""
    form = GenerateForm()
    if not form.validate_on_submit():  # refused, with the portal's French reason
        return form_expired()
    s = db.session(write=True)  # the request's session, where current_user() lives
    user = logged_in_user()
    dataset = generate_dataset(s, current_app.config["SANDBOX"], requester=user)
    s.commit()
    return redirect(url_for("seeding.show", dataset_id=dataset.id), code=303)


@bp.get("/qualification/jeu-de-donnees/<int:dataset_id>")
@login_required
def show(dataset_id: int):
    """A generated data set: its content and its download link."""
    dataset = _own_dataset(dataset_id)
    return _page(datasets=[], dataset=dataset, content=parse_dataset_csv(dataset.csv))


def _page(**context):
    """The data-set page, with the sandbox's scenario recipients and flux markers."""
    return render_template("seeding/jeu_de_donnees.html", form=GenerateForm(),
                           scenarios=scenario_recipients(), markers=MARKERS, **context)


@bp.get("/qualification/jeu-de-donnees/<int:dataset_id>.csv")
@login_required
def download(dataset_id: int):
    """The data set's CSV (``Entite;Libelle;Valeur``) as an attachment."""
    dataset = _own_dataset(dataset_id)
    return current_app.response_class(
        dataset.csv,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="jeu_de_donnees_{dataset.id}.csv"'
        },
    )
