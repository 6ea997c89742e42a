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

  /* Journal drafts are also kept on the server (sealed like entries), a
     couple of seconds after typing stops, so even another device or a
     crash loses nothing. */
  function serverDraft(form) {
    var url = form.getAttribute("data-draft-url");
    var token = form.getAttribute("data-csrf");
    var box = form.querySelector("textarea");
    var status = document.getElementById("draft-status");
    var timer = null, last = box.value;
    function save() {
      if (box.value === last) return;
      var text = box.value;
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({ text: text })
      }).then(function (r) {
        if (r.ok) { last = text; if (status) status.textContent = "Draft kept."; }
        else if (status) status.textContent = "Could not keep the draft just now; your words are still here.";
      }).catch(function () {
        if (status) status.textContent = "Offline: your words are still here, and kept in this browser.";
      });
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(save, 1500);
    });
    /* Saving the entry clears the draft on the server; do not write it
       back as the page goes. */
    form.addEventListener("submit", function () { clearTimeout(timer); last = box.value; });
    window.addEventListener("pagehide", save);
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
    document.querySelectorAll("form[data-draft-url]").forEach(serverDraft);
    fullLinks();
  });
})();
