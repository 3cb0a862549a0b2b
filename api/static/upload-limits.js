// Checks a chosen file's size against the form's stated limit before anything is sent, and says so
// beside the field. The server checks again: this only spares a long upload that would be refused.
(function () {
  "use strict";

  function megabytes(bytes) {
    var mb = bytes / (1024 * 1024);
    if (mb >= 1024) { return (Math.floor(mb / 102.4) / 10) + " GB"; }
    if (mb >= 10) { return Math.ceil(mb) + " MB"; }
    if (mb >= 0.1) { return (Math.ceil(mb * 10) / 10) + " MB"; }
    return Math.ceil(bytes / 1024) + " KB";
  }

  function problem(input) {
    var files = input.files ? Array.prototype.slice.call(input.files) : [];
    var limit = Number(input.getAttribute("data-max-bytes"));
    var words = input.getAttribute("data-max-words");
    var tooBig = files.filter(function (file) { return file.size > limit; });
    if (tooBig.length === 1) {
      return "“" + tooBig[0].name + "” is " + megabytes(tooBig[0].size) + "; each file may be up to " + words +
        ". Choose a smaller copy.";
    }
    if (tooBig.length > 1) {
      return tooBig.length + " of the files you chose are larger than " + words + ", the most each may be: " +
        tooBig.slice(0, 3).map(function (file) { return "“" + file.name + "”"; }).join(", ") +
        (tooBig.length > 3 ? " and others" : "") + ". Leave them out or choose smaller copies.";
    }
    var total = Number(input.getAttribute("data-max-total-bytes") || 0);
    var sum = files.reduce(function (all, file) { return all + file.size; }, 0);
    if (total && sum > total) {
      return "Together the files are " + megabytes(sum) + "; all of them together may be up to " +
        input.getAttribute("data-max-total-words") + ". Choose fewer files.";
    }
    return "";
  }

  function check(input) {
    var message = problem(input);
    var box = document.getElementById(input.getAttribute("data-size-message"));
    input.setCustomValidity(message);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== box.id;
    });
    box.textContent = "";
    if (message) {
      var text = document.createElement("p");
      text.className = "error-text";
      text.setAttribute("role", "alert");
      text.textContent = message;
      box.appendChild(text);
      described.push(box.id);
      input.setAttribute("aria-invalid", "true");
    } else if (!input.closest(".has-error")) {
      input.removeAttribute("aria-invalid");
    }
    input.setAttribute("aria-describedby", described.join(" "));
    return message;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file" && input.hasAttribute("data-max-bytes")) {
      check(input);
    }
  });

  document.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll("input[type=file][data-max-bytes]");
    for (var i = 0; i < inputs.length; i += 1) {
      if (check(inputs[i])) {
        event.preventDefault();
        inputs[i].focus();
        return;
      }
    }
  }, true);
}());
