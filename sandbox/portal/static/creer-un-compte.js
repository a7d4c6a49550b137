// Progressive enhancement of "Créer un compte": the server validates everything,
// this only shows the structure fields once the identifier is given, the format
// hint of the chosen type, and pre-fills the contact e-mail.
(function () {
  "use strict";
  var form = document.getElementById("form-creer-compte");
  if (!form) { return; }
  var type = form.elements.type_identifiant;
  var ident = form.elements.identifiant;
  var login = form.elements.login_email;
  var contact = form.elements.email_contact;
  var structure = document.getElementById("champs-structure");
  var particulier = document.getElementById("champs-particulier");
  var organisation = document.getElementById("champs-organisation");
  var hint = document.getElementById("aide-identifiant");
  var formats = {};
  document.querySelectorAll("#formats-identifiant dd[data-type]").forEach(function (dd) {
    formats[dd.getAttribute("data-type")] = dd.textContent;
  });
  var hasErrors = form.querySelector("#champs-structure .has-error") !== null;

  function refresh() {
    var chosen = type.value;
    var ready = chosen !== "" && ident.value.trim() !== "";
    structure.classList.toggle("js-hidden", !(ready || hasErrors));
    particulier.classList.toggle("js-hidden", chosen !== "PARTICULIER");
    organisation.classList.toggle("js-hidden", chosen === "PARTICULIER");
    if (hint && formats[chosen]) { hint.textContent = formats[chosen]; }
  }
  var contactTouched = contact.value !== "" && contact.value !== login.value;
  contact.addEventListener("input", function () { contactTouched = true; });
  login.addEventListener("input", function () {
    if (!contactTouched) { contact.value = login.value; }
  });
  type.addEventListener("change", refresh);
  ident.addEventListener("input", refresh);
  refresh();
}());
