// The photo form asks about a tag (a floor plan, areas not open to the public, ...) only where the district's
// policy holds it against a photo: each choice names those destinations (data-destinations), and the choices
// that do not matter for the destination chosen are hidden and unticked. Without JavaScript all are shown.
(function () {
  "use strict";

  function update(form) {
    var chosen = form.querySelector("input[name=destination]:checked");
    var fieldset = document.getElementById("tag-questions");
    if (!chosen || !fieldset) { return; }
    var shown = 0;
    var choices = fieldset.querySelectorAll("[data-destinations]");
    for (var i = 0; i < choices.length; i += 1) {
      var asked = choices[i].getAttribute("data-destinations").split(" ").indexOf(chosen.value) >= 0;
      choices[i].hidden = !asked;
      if (!asked) { choices[i].querySelector("input").checked = false; } else { shown += 1; }
    }
    fieldset.querySelector("[data-no-tags]").hidden = shown > 0;
  }

  function start() {
    var fieldset = document.getElementById("tag-questions");
    var form = fieldset ? fieldset.form || fieldset.closest("form") : null;
    if (!form) { return; }
    form.addEventListener("change", function (event) {
      if (event.target instanceof HTMLInputElement && event.target.name === "destination") { update(form); }
    });
    update(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
