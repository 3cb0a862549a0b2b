// The consent form: choosing who signed (a parent or guardian on record) fills in the signer's name and
// relationship, which stay editable; typing a name picks the matching choice, or "someone else".
(function () {
  function parts() {
    return {
      choice: document.querySelector("select[data-signer-choice]"),
      name: document.getElementById("f-signer_name"),
      relationship: document.getElementById("f-signer_relationship"),
    };
  }

  document.addEventListener("change", function (event) {
    var form = parts();
    if (!form.choice || event.target !== form.choice || !form.name || !form.relationship) {
      return;
    }
    var option = form.choice.options[form.choice.selectedIndex];
    form.name.value = option.getAttribute("data-name") || "";
    if (option.getAttribute("data-relationship")) {
      form.relationship.value = option.getAttribute("data-relationship");
    }
    if (!form.name.value) {
      form.name.focus();
    }
  });

  document.addEventListener("input", function (event) {
    var form = parts();
    if (!form.choice || event.target !== form.name) {
      return;
    }
    var typed = form.name.value.trim().toLowerCase();
    for (var i = 0; i < form.choice.options.length; i++) {
      var option = form.choice.options[i];
      var name = (option.getAttribute("data-name") || "").toLowerCase();
      if ((name && name === typed) || (!name && i === form.choice.options.length - 1)) {
        form.choice.selectedIndex = i;
        return;
      }
    }
  });
})();
