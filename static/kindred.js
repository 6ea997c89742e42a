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

  /* Questionnaire skip logic: a question asked only after a given answer
     is hidden until that answer is chosen (without this script, every
     question shows, with a note saying when it may be left out). */
  function skipLogic(form) {
    var items = form.querySelectorAll("fieldset[data-ask-item]");
    function holds(f) {
      var on = form.querySelector("input[name=item" + f.getAttribute("data-ask-item") + "]:checked");
      if (!on) return false;
      var v = Number(on.value), want = Number(f.getAttribute("data-ask-value"));
      var op = f.getAttribute("data-ask-op");
      return op === "min" ? v >= want : op === "max" ? v <= want : v === want;
    }
    function update() {
      items.forEach(function (f) {
        var show = holds(f);
        f.hidden = !show;
        f.querySelectorAll("input").forEach(function (i) {
          i.disabled = !show;
          if (!show) i.checked = false;
        });
      });
    }
    form.addEventListener("change", update);
    update();
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
    document.querySelectorAll("form.measure").forEach(skipLogic);
    fullLinks();
  });
})();
