// The editor's helpers, on top of a form that works without them:
// live length hints for headlines, and a copy of the unsaved text in this
// browser, offered back after a crash or a closed tab.
(function () {
  "use strict";
  var form = document.querySelector("form.editor");
  if (!form) return;

  // Length hints: "42 of about 60 characters".
  Array.prototype.forEach.call(form.querySelectorAll("[data-limit]"), function (input) {
    var out = document.getElementById(input.id + "-count");
    if (!out) return;
    var limit = Number(input.getAttribute("data-limit"));
    var show = function () {
      var n = Array.from(input.value).length;
      out.textContent = n + " of about " + limit + " characters" + (n > limit ? ": too long for most places" : "");
      out.classList.toggle("over", n > limit);
    };
    input.addEventListener("input", show);
    show();
  });

  var key = "newsdesk:unsaved:" + form.getAttribute("action");
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  var skip = { csrf: true, version: true, "do": true };
  var values = function () {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !skip[el.name] && el.type !== "submit" && el.type !== "checkbox") out[el.name] = el.value;
    });
    return out;
  };
  var same = function (a, b) {
    return Object.keys(a).every(function (k) { return !(k in b) || a[k] === b[k]; });
  };

  // The page after a successful save: the copy is no longer needed.
  if (/[?&]done=/.test(window.location.search)) {
    var done = window.sessionStorage.getItem("newsdesk:submitted");
    if (done) { store.removeItem(done); window.sessionStorage.removeItem("newsdesk:submitted"); }
  }

  var saved = null;
  try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
  if (saved && saved.fields && !same(saved.fields, values())) {
    var box = document.createElement("div");
    box.className = "notice restore";
    box.setAttribute("role", "status");
    var p = document.createElement("p");
    p.textContent = "This browser kept text you had not saved (" + new Date(saved.at).toLocaleString() + ").";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.textContent = "Put it back";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "quiet";
    discard.textContent = "Discard it";
    box.appendChild(p); box.appendChild(restore); box.appendChild(discard);
    form.parentNode.insertBefore(box, form);
    restore.addEventListener("click", function () {
      Object.keys(saved.fields).forEach(function (name) {
        var el = form.elements.namedItem(name);
        if (el && "value" in el) el.value = saved.fields[name];
      });
      box.remove();
      form.dispatchEvent(new CustomEvent("newsdesk:restored"));
      form.elements.namedItem("headline").focus();
    });
    discard.addEventListener("click", function () { store.removeItem(key); box.remove(); });
  } else if (saved) {
    store.removeItem(key);
  }

  // Keep a copy at most a second behind the typing.
  var timer = null;
  var keep = function () {
    timer = null;
    try { store.setItem(key, JSON.stringify({ at: Date.now(), fields: values() })); } catch (e) { /* full */ }
  };
  form.addEventListener("input", function () { if (!timer) timer = window.setTimeout(keep, 1000); });
  window.addEventListener("pagehide", function () { if (timer) { window.clearTimeout(timer); keep(); } });
  form.addEventListener("submit", function () {
    if (timer) { window.clearTimeout(timer); }
    keep();
    window.sessionStorage.setItem("newsdesk:submitted", key);
  });
})();
