// While a photo is checked (often 10 to 30 seconds) the page says what is happening, in words, and the
// button that sent it is disabled, so that a second tap sends nothing more. The server answers a second
// identical upload with the first one's result anyway (registry/clearances/repeats.py); this spares the wait.
// A link marked data-checking-link (the blurred copy) does the same while its copy is made and checked.
(function () {
  "use strict";
  var STEPS = [
    [0, "Sending the photo…"],
    [2, "Finding the faces in the photo…"],
    [6, "Comparing each face with the people whose consent forms are on file…"],
    [12, "Looking closer at the parts of the photo where a face could hide…"],
    [25, "Nearly done: a busy moment can take up to a minute. Please keep this page open."]
  ];

  function follow(box, steps) {
    var started = Date.now();
    var shown = -1;
    function tick() {
      var seconds = (Date.now() - started) / 1000;
      var step = 0;
      for (var i = 0; i < steps.length; i += 1) { if (seconds >= steps[i][0]) { step = i; } }
      if (step !== shown) {
        shown = step;
        box.querySelector("[data-checking-words]").textContent = steps[step][1];
      }
      box.querySelector("[data-checking-seconds]").textContent = Math.floor(seconds) + " s";
    }
    box.querySelector("[data-checking-body]").hidden = false;
    tick();
    return window.setInterval(tick, 1000);
  }

  function stepsFor(element) {
    var own = element.getAttribute("data-checking-steps");  // JSON: [[seconds, words], ...]
    if (own) { return JSON.parse(own); }
    var words = element.getAttribute("data-checking-first");
    return words ? [[0, words]].concat(STEPS.slice(1)) : STEPS;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !form.hasAttribute("data-checking")) { return; }
    var box = document.getElementById(form.getAttribute("data-checking"));
    var buttons = form.querySelectorAll("button[type=submit]");
    if (form.getAttribute("data-sent") === "yes") { event.preventDefault(); return; }
    form.setAttribute("data-sent", "yes");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].disabled = true;
      buttons[i].setAttribute("data-label", buttons[i].textContent);
      buttons[i].textContent = buttons[i].getAttribute("data-busy-label") || "Checking…";
    }
    if (box) { follow(box, stepsFor(form)); }
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-checking]") : null;
    if (!link) { return; }
    if (link.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
    link.setAttribute("aria-disabled", "true");
    var box = document.getElementById(link.getAttribute("data-checking"));
    var timer = box ? follow(box, stepsFor(link)) : 0;
    window.setTimeout(function () {  // a download leaves the page as it is: offer the link again after a while
      link.removeAttribute("aria-disabled");
      if (box) { box.querySelector("[data-checking-body]").hidden = true; window.clearInterval(timer); }
    }, 60000);
  });

  // Back to the form from the result (the browser's page cache): ready to send another photo.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    var forms = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < forms.length; i += 1) {
      forms[i].removeAttribute("data-sent");
      var buttons = forms[i].querySelectorAll("button[type=submit]");
      for (var j = 0; j < buttons.length; j += 1) {
        buttons[j].disabled = false;
        buttons[j].textContent = buttons[j].getAttribute("data-label") || buttons[j].textContent;
      }
      var box = document.getElementById(forms[i].getAttribute("data-checking"));
      if (box) { box.querySelector("[data-checking-body]").hidden = true; }
    }
  });
}());
