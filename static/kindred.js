/* kindred: the little JavaScript the pages need.  Everything works
   without it; it only keeps drafts safe and completes links. */
(function () {
  "use strict";

  /* Drafts: a form with data-autosave keeps what is typed in this
     browser until it is saved, so a closed tab loses nothing. */
  function autosave(form) {
    var key = "kindred:" + form.getAttribute("data-autosave");
    var fields = form.querySelectorAll("textarea, input[type=text]");
    var store = window.localStorage;
    if (!store) return;
    if (document.getElementById("thanks") || document.getElementById("saved")) store.removeItem(key);
    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    fields.forEach(function (f) {
      if (saved && saved[f.name] && !f.value) f.value = saved[f.name];
      f.addEventListener("input", function () {
        var draft = {};
        fields.forEach(function (g) { draft[g.name] = g.value; });
        try { store.setItem(key, JSON.stringify(draft)); } catch (e) { /* full or private */ }
      });
    });
  }

  /* Invitation links are shown as paths; show the whole address. */
  function fullLinks() {
    document.querySelectorAll("input[data-origin-prefix]").forEach(function (i) {
      if (i.value.charAt(0) === "/") i.value = window.location.origin + i.value;
      i.addEventListener("focus", function () { i.select(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("form[data-autosave]").forEach(autosave);
    fullLinks();
  });
})();
