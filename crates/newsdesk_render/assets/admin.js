// The editor's helpers, on top of a form that works without them:
// live length hints for headlines, a copy of the unsaved text in this
// browser, offered back after a crash or a closed tab, and autosaves and
// heartbeats to the server.
(function () {
  "use strict";
  // Forms that remove or disable something ask first.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var question = f && f.getAttribute && f.getAttribute("data-confirm");
    if (question && !window.confirm(question)) ev.preventDefault();
  });
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

  // Tags: existing ones suggested for the one being typed (the browser's
  // own list under the field; each suggestion is the whole field with the
  // last tag completed).
  var tags = form.querySelector("input[data-suggest]");
  var tagList = document.getElementById("tag-options");
  if (tags && tagList && window.fetch) {
    var tagTimer = null, asked = "";
    tags.addEventListener("input", function () {
      if (tagTimer) window.clearTimeout(tagTimer);
      tagTimer = window.setTimeout(function () {
        var value = tags.value;
        var cut = value.lastIndexOf(",");
        var head = cut >= 0 ? value.slice(0, cut + 1) + " " : "";
        var typed = value.slice(cut + 1).trim();
        if (!typed || typed === asked) return;
        asked = typed;
        window.fetch(tags.getAttribute("data-suggest") + "?q=" + encodeURIComponent(typed), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (names) {
            while (tagList.firstChild) tagList.removeChild(tagList.firstChild);
            names.forEach(function (name) {
              var o = document.createElement("option");
              o.value = head + name;
              tagList.appendChild(o);
            });
          })
          .catch(function () { /* typing goes on without suggestions */ });
      }, 150);
    });
  }

  // Copies are per user: a shared computer never offers one person's text
  // to the next (signing out also clears them).
  var base = "newsdesk:unsaved:" + (form.getAttribute("data-user") || "") + ":" + form.getAttribute("action");
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  // A new article's copy is this tab's own, so two new articles in two
  // tabs never overwrite each other; an existing article has one copy.
  var isNew = /\/new$/.test(form.getAttribute("action"));
  var key = base;
  if (isNew) {
    key = window.sessionStorage.getItem("newsdesk:tab-key") || base + "#" + Date.now();
    window.sessionStorage.setItem("newsdesk:tab-key", key);
  }
  var skip = { csrf: true, version: true, "do": true };
  var values = function () {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !skip[el.name] && !el.disabled && el.type !== "submit" && el.type !== "checkbox") out[el.name] = el.value;
    });
    return out;
  };
  var same = function (a, b) {
    return Object.keys(a).every(function (k) { return !(k in b) || a[k] === b[k]; });
  };
  var read = function (k) {
    try { return JSON.parse(store.getItem(k) || "null"); } catch (e) { return null; }
  };

  // The page right after a submit: when it says the save went through,
  // the copy taken at that submit is no longer needed (a newer one stays).
  var marker = null;
  try { marker = JSON.parse(window.sessionStorage.getItem("newsdesk:submitted") || "null"); } catch (e) { marker = null; }
  window.sessionStorage.removeItem("newsdesk:submitted");
  if (marker && marker.key && /[?&]done=/.test(window.location.search)) {
    var taken = read(marker.key);
    if (taken && taken.at <= marker.at) store.removeItem(marker.key);
    if (marker.key.indexOf("#") > 0) window.sessionStorage.removeItem("newsdesk:tab-key");
  }

  // The copy to offer: this article's, or for a new article the newest
  // one left by any tab.
  var offerKey = key;
  var saved = read(key);
  if (isNew && !saved) {
    for (var i = 0; i < store.length; i++) {
      var k = store.key(i);
      if (k && k.indexOf(base + "#") === 0) {
        var c = read(k);
        if (c && (!saved || c.at > saved.at)) { saved = c; offerKey = k; }
      }
    }
  }
  // A page answering a refused save already holds the text as sent.
  var answered = form.hasAttribute("data-answered");
  if (!answered && saved && saved.fields && !same(saved.fields, values())) {
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
      // Saved over the version the text was written on, so the server
      // merges in whatever others saved since.
      var v = form.elements.namedItem("version");
      // An old copy without its version is compared in full by the server.
      if (v) v.value = saved.version || "0";
      form.dispatchEvent(new CustomEvent("newsdesk:restored", { detail: saved.fields }));
      if (offerKey !== key) store.removeItem(offerKey);
      box.remove();
      keep();
      form.elements.namedItem("headline").focus();
    });
    discard.addEventListener("click", function () { store.removeItem(offerKey); box.remove(); });
  }

  // The server keeps a copy too (a lost laptop loses at most a few
  // seconds): the whole form three seconds after typing starts, then
  // again after the next change, and a heartbeat while the page is open,
  // which also says who holds the article.
  var autosaveUrl = form.getAttribute("data-autosave");
  var stopAutosave = function () {};
  if (autosaveUrl && window.fetch && window.URLSearchParams && window.FormData) {
    // Routine news ("Autosaved at …") is shown, not announced; what needs
    // attention (a take-over, a refusal) is announced and stays.
    var line = document.getElementById("autosave-status");
    var alertBox = document.getElementById("autosave-alert");
    var say = function (t) { if (line && line.textContent !== t) line.textContent = t; };
    var warn = function (t) {
      if (!alertBox) { say(t); return; }
      alertBox.textContent = t;
      alertBox.hidden = false;
    };
    var beatMs = Number(form.getAttribute("data-beat") || "20") * 1000;
    var dirty = false, sending = false, stopped = false, wasMine = null, saveTimer = null, failures = 0;
    var inFlight = null;
    // Text autosaved earlier and not yet put back or discarded: the next
    // autosave would replace it, so none is sent until the choice is made.
    var pending = document.querySelector(".restore.kept");
    if (pending) say("Autosave is paused until you put back or discard the autosaved text above. This browser keeps a copy meanwhile.");
    var later = function (ms) {
      if (!saveTimer && !stopped && !pending) saveTimer = window.setTimeout(function () { saveTimer = null; send(false); }, ms || 3000);
    };
    var send = function (beat) {
      if (stopped) return;
      if (sending) { if (!beat) dirty = true; return; }
      var body;
      if (beat || pending) {
        body = new URLSearchParams();
        body.set("csrf", form.elements.namedItem("csrf").value);
        body.set("beat", "1");
      } else {
        body = new URLSearchParams(new FormData(form));
        dirty = false;
      }
      sending = true;
      inFlight = window.AbortController ? new AbortController() : null;
      window.fetch(autosaveUrl, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }, signal: inFlight ? inFlight.signal : undefined })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, ok: r.ok, j: j }; }); })
        .then(function (res) {
          sending = false;
          var j = res.j || {};
          if (!res.ok) {
            if (!beat) dirty = true;
            if (res.status === 403 || res.status === 404) {
              stopped = true;
              warn((j.error || "Not autosaved.") + " This browser keeps a copy.");
            } else {
              say((j.error || "Not autosaved.") + " This browser keeps a copy; trying again.");
              failures += 1;
              if (dirty) later(Math.min(60000, 5000 * failures));
            }
            return;
          }
          failures = 0;
          if (j.saved_at) say("Autosaved at " + new Date(j.saved_at).toLocaleTimeString() + ".");
          if (wasMine === true && j.mine === false && j.holder) {
            warn(j.holder + " took this article over. Your text stays here: Save merges it with theirs.");
          }
          wasMine = j.mine;
          if (dirty) later();
        })
        .catch(function (e) {
          sending = false;
          if (e && e.name === "AbortError") return;
          if (!beat) dirty = true;
          failures += 1;
          say("Not autosaved: the server cannot be reached. This browser keeps a copy; trying again.");
          if (dirty) later(Math.min(60000, 5000 * failures));
        });
    };
    form.addEventListener("input", function () { dirty = true; later(); });
    // The heartbeat goes on whatever else happens; it carries the text when
    // some is waiting.
    window.setInterval(function () { if (!sending && !saveTimer) send(!dirty); }, beatMs);
    stopAutosave = function () {
      stopped = true;
      if (saveTimer) window.clearTimeout(saveTimer);
      if (inFlight) inFlight.abort();
    };
  }

  // Keep a copy at most a second behind the typing.
  var timer = null;
  function keep() {
    timer = null;
    var v = form.elements.namedItem("version");
    try {
      store.setItem(key, JSON.stringify({ at: Date.now(), version: v ? v.value : "", fields: values() }));
    } catch (e) { /* storage full: the form still holds the text */ }
  }
  form.addEventListener("input", function () { if (!timer) timer = window.setTimeout(keep, 1000); });
  window.addEventListener("pagehide", function () { if (timer) { window.clearTimeout(timer); keep(); } });
  form.addEventListener("submit", function () {
    stopAutosave();
    if (timer) { window.clearTimeout(timer); }
    keep();
    window.sessionStorage.setItem("newsdesk:submitted", JSON.stringify({ key: key, at: Date.now() }));
  });
})();
