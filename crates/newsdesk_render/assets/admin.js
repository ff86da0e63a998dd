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
    // A new article's first autosave makes it a draft; until that answer
    // is in, a press of a button waits for it (so it saves that draft
    // instead of making a second one), then goes on.
    var creating = false, waitingSubmit = null;
    var moveToDraft = function (j) {
      form.setAttribute("action", j.url);
      autosaveUrl = j.autosave;
      var v = form.elements.namedItem("version");
      if (v) v.value = String(j.version);
      try { window.history.replaceState(null, "", j.url); } catch (e) { /* the address bar stays */ }
      // The page is that draft's editor now, and says so.
      var h1 = document.querySelector("main h1");
      if (h1 && h1.textContent === "New article") h1.textContent = "Edit article";
      document.title = document.title.replace(/^New article/, "Edit article");
      // This tab's copy becomes the draft's copy.
      var draftKey = base.slice(0, base.length - "/admin/articles/new".length) + j.url;
      key = (function (from) {
        try {
          var copy = store.getItem(from);
          if (copy) { store.setItem(draftKey, copy); store.removeItem(from); }
          window.sessionStorage.removeItem("newsdesk:tab-key");
        } catch (e) { /* storage full: the form still holds the text */ }
        return draftKey;
      })(key);
      isNew = false;
    };
    form.addEventListener("submit", function (ev) {
      if (!creating) return;
      ev.preventDefault();
      ev.stopImmediatePropagation();
      waitingSubmit = ev.submitter || form.querySelector("button[name=do][value=save]");
    });
    var resubmit = function () {
      var b = waitingSubmit;
      waitingSubmit = null;
      if (!b) return;
      if (form.requestSubmit) form.requestSubmit(b); else b.click();
    };
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
      creating = isNew && !beat;
      // A draft being made is never cut off: its answer says where it is.
      inFlight = window.AbortController && !creating ? new AbortController() : null;
      window.fetch(autosaveUrl, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }, signal: inFlight ? inFlight.signal : undefined })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, ok: r.ok, j: j }; }); })
        .then(function (res) {
          sending = false;
          var j = res.j || {};
          if (creating) {
            creating = false;
            if (res.ok && j.id) moveToDraft(j);
            resubmit();
          }
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
          if (j.saved_at) say((j.id ? "Kept as a draft" : "Autosaved") + " at " + (j.saved_at_text || new Date(j.saved_at).toLocaleTimeString()) + ".");
          if (wasMine === true && j.mine === false && j.holder) {
            warn(j.holder + " took this article over. Your text stays here: Save merges it with theirs.");
          }
          wasMine = j.mine;
          if (dirty) later();
        })
        .catch(function (e) {
          sending = false;
          if (creating) { creating = false; resubmit(); }
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

// The media library: uploads with drag and drop and progress, the focal
// point set by clicking the picture, and a picker for any field that takes
// a media item's number (figures, lead images, portraits, the logo).
(function () {
  "use strict";
  var csrfOf = function (form) {
    var c = form && form.querySelector("input[name=csrf]");
    return c ? c.value : (document.querySelector("input[name=csrf]") || {}).value || "";
  };

  // Sends one file; calls back with the parsed answer (or an error line).
  function send(file, csrf, row, done) {
    var fd = new FormData();
    fd.append("csrf", csrf);
    fd.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/admin/media");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    var bar = row.querySelector("progress");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable && bar) bar.value = Math.round((ev.loaded / ev.total) * 100);
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (!answer) answer = { uploaded: [], errors: [{ detail: xhr.responseText || "The server did not answer (" + xhr.status + ")." }] };
      done(answer);
    });
    xhr.addEventListener("error", function () {
      done({ uploaded: [], errors: [{ detail: "The connection failed; nothing of this file was kept." }] });
    });
    xhr.send(fd);
  }

  // Uploads `files` one after another into `list` (an element showing a
  // line per file); `each` gets every uploaded item.
  function uploadAll(files, csrf, maxBytes, list, each, finished) {
    var queue = Array.prototype.slice.call(files);
    var ok = 0, failed = 0, reused = 0;
    var next = function () {
      var file = queue.shift();
      if (!file) { if (finished) finished(ok, failed, reused); return; }
      var row = document.createElement("p");
      var label = document.createElement("span");
      label.textContent = file.name + ": ";
      row.appendChild(label);
      var status = document.createElement("span");
      row.appendChild(status);
      list.appendChild(row);
      if (maxBytes && file.size > maxBytes) {
        status.textContent = "larger than the limit of " + Math.round(maxBytes / 1048576) + " MB; not sent.";
        row.className = "error";
        failed++;
        next();
        return;
      }
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Uploading " + file.name);
      row.insertBefore(bar, status);
      send(file, csrf, row, function (answer) {
        bar.remove();
        if (answer.uploaded && answer.uploaded.length) {
          var item = answer.uploaded[0];
          var a = document.createElement("a");
          a.href = item.url;
          a.textContent = (item.reused ? "already in the library as no. " : "uploaded as no. ") + item.id;
          status.appendChild(a);
          ok++;
          if (item.reused) reused++;
          if (each) each(item);
        } else {
          status.textContent = (answer.errors || []).map(function (e) { return e.detail; }).join(" ");
          row.className = "error";
          failed++;
        }
        next();
      });
    };
    next();
  }

  // A picture just uploaded, first in the library's grid (when some files
  // of a batch were refused the page stays, to show why, so the grid is
  // brought up to date here).
  function addCard(item) {
    if (item.reused) return;
    var grid = document.querySelector("ul.media-grid");
    if (!grid) {
      grid = document.createElement("ul");
      grid.className = "media-grid";
      var empty = document.querySelector(".library-empty");
      if (empty) empty.replaceWith(grid); else return;
    }
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = item.url;
    var im = document.createElement("img");
    im.src = item.src;
    im.width = item.width;
    im.height = item.height;
    im.alt = "";
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = item.file_name;
    a.appendChild(im);
    a.appendChild(name);
    li.appendChild(a);
    var line = function (text, missing) {
      var m = document.createElement("span");
      m.className = "meta";
      if (text) m.textContent = text;
      else { var em = document.createElement("em"); em.textContent = missing; m.appendChild(em); }
      li.appendChild(m);
    };
    line(item.alt, "No alt text");
    line(item.credit, "No credit");
    line("No. " + item.id + " · " + item.size + (item.missing ? " · needs texts" : ""), "");
    grid.insertBefore(li, grid.firstChild);
  }

  var uploadForm = document.querySelector("form[data-upload]");
  if (uploadForm && window.FormData) {
    var input = uploadForm.querySelector("input[type=file]");
    var list = uploadForm.querySelector(".progress");
    var maxBytes = Number(uploadForm.getAttribute("data-max-bytes")) || 0;
    var go = function (files) {
      if (!files || !files.length) return;
      uploadAll(files, csrfOf(uploadForm), maxBytes, list, addCard, function (ok, failed, reused) {
        if (ok && !failed) window.location.assign("/admin/media?uploaded=" + ok + "&reused=" + reused);
        else input.value = "";
      });
    };
    uploadForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      go(input.files);
    });
    ["dragenter", "dragover"].forEach(function (t) {
      uploadForm.addEventListener(t, function (ev) { ev.preventDefault(); uploadForm.classList.add("dropping"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      uploadForm.addEventListener(t, function () { uploadForm.classList.remove("dropping"); });
    });
    uploadForm.addEventListener("drop", function (ev) {
      ev.preventDefault();
      go(ev.dataTransfer && ev.dataTransfer.files);
    });
  }

  // The focal point: a click on the picture moves it.
  var focal = document.querySelector("[data-focal]");
  if (focal) {
    var img = focal.querySelector("img"), dot = focal.querySelector(".focal-dot");
    var fx = document.getElementById("focal_x"), fy = document.getElementById("focal_y");
    var place = function () {
      dot.style.left = (Number(fx.value) || 0) + "%";
      dot.style.top = (Number(fy.value) || 0) + "%";
    };
    img.addEventListener("click", function (ev) {
      var r = img.getBoundingClientRect();
      fx.value = Math.round(((ev.clientX - r.left) / r.width) * 100);
      fy.value = Math.round(((ev.clientY - r.top) / r.height) * 100);
      place();
    });
    fx.addEventListener("input", place);
    fy.addEventListener("input", place);
  }

  // The picker: a dialog listing the library (searchable, with an upload
  // button); `chosen` gets the item picked.
  function pick(chosen) {
    var d = document.createElement("dialog");
    d.className = "pm-dialog media-picker";
    d.setAttribute("aria-labelledby", "picker-heading");
    var h = document.createElement("h2");
    h.id = "picker-heading";
    h.textContent = "Choose a picture";
    d.appendChild(h);
    // A paragraph holding a labelled input.
    var field = function (id, text, type) {
      var para = document.createElement("p");
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = text;
      var input = document.createElement("input");
      input.type = type;
      input.id = id;
      para.appendChild(label);
      para.appendChild(input);
      d.appendChild(para);
      return input;
    };
    var q = field("picker-q", "Search the library", "search");
    var file = field("picker-file", "Or upload one", "file");
    file.accept = "image/jpeg,image/png,image/webp,image/gif";
    var progress = document.createElement("div");
    progress.setAttribute("aria-live", "polite");
    d.appendChild(progress);
    var results = document.createElement("ul");
    results.className = "picker-results";
    d.appendChild(results);
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    var more = document.createElement("button");
    more.type = "button";
    more.className = "quiet";
    more.textContent = "Older pictures";
    more.hidden = true;
    d.appendChild(more);
    d.appendChild(status);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "quiet";
    close.textContent = "Cancel";
    close.addEventListener("click", function () { d.close(); });
    d.appendChild(close);
    var choose = function (item) {
      d.close();
      chosen(item);
    };
    var before = null;
    var show = function (items, append) {
      if (!append) results.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "quiet";
        var im = document.createElement("img");
        im.src = item.src;
        im.width = item.width;
        im.height = item.height;
        im.alt = "";
        b.appendChild(im);
        var t = document.createElement("span");
        t.textContent = "No. " + item.id + ": " + (item.alt || item.file_name) + (item.credit ? " (" + item.credit + ")" : "") + (item.missing ? " · needs alt text or credit" : "");
        b.appendChild(t);
        b.addEventListener("click", function () { choose(item); });
        li.appendChild(b);
        results.appendChild(li);
      });
      var n = results.children.length;
      var scrolls = results.scrollHeight > results.clientHeight + 1;
      status.textContent = n ? n + " shown" + (scrolls ? "; the list scrolls." : ".") : "Nothing matches.";
    };
    var timer = null;
    var load = function (append) {
      var url = "/admin/media/pick?q=" + encodeURIComponent(q.value) + (append && before ? "&before=" + before : "");
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          show(j.items || [], append);
          before = j.before;
          more.hidden = !before;
        })
        .catch(function () { status.textContent = "The library could not be reached."; });
    };
    more.addEventListener("click", function () { load(true); });
    q.addEventListener("input", function () {
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(function () { load(false); }, 200);
    });
    file.addEventListener("change", function () {
      uploadAll(file.files, csrfOf(null), 0, progress, function (item) { choose(item); });
    });
    d.addEventListener("close", function () { d.remove(); });
    document.body.appendChild(d);
    d.showModal();
    load(false);
  }

  // Shows the chosen item, with the texts the library has for it, in the
  // field's preview box (the lead image's).
  function showPicked(field, item) {
    var box = field.dataset.preview && document.getElementById(field.dataset.preview);
    if (!box) return;
    box.textContent = "";
    var im = document.createElement("img");
    im.src = item.src;
    im.alt = "";
    var scale = 120 / Math.max(item.width || 1, item.height || 1);
    im.width = Math.max(1, Math.round((item.width || 1) * Math.min(1, scale)));
    im.height = Math.max(1, Math.round((item.height || 1) * Math.min(1, scale)));
    box.appendChild(im);
    var dl = document.createElement("dl");
    dl.className = "facts";
    [["In the library", "No. " + item.id], ["Its alternative text", item.alt], ["Its caption", item.caption], ["Its credit", item.credit]].forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1] || "(none)";
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    box.appendChild(dl);
  }

  // A button that opens the picker and puts the chosen item's number in
  // `field` (the editor's figure dialog uses it too).
  window.newsdeskPickerButton = function (field) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "quiet";
    b.textContent = "Choose from the library";
    b.addEventListener("click", function () {
      pick(function (item) {
        field.value = String(item.id);
        field.dispatchEvent(new Event("input", { bubbles: true }));
        showPicked(field, item);
        field.focus();
      });
    });
    return b;
  };

  // Fields that take a media item's number get that button; a number
  // typed by hand clears a preview of another picture (saving shows the
  // new one).
  Array.prototype.forEach.call(document.querySelectorAll("input[data-media-picker]"), function (field) {
    field.insertAdjacentElement("afterend", window.newsdeskPickerButton(field));
    var box = field.dataset.preview && document.getElementById(field.dataset.preview);
    if (box) {
      var shown = field.value;
      field.addEventListener("input", function () {
        if (field.value.trim() !== shown) { box.textContent = ""; shown = field.value.trim(); }
      });
    }
  });
  // The checklist's link to the body goes to the rich-text editor when it
  // has replaced the text field.
  Array.prototype.forEach.call(document.querySelectorAll(".checklist a[href='#body']"), function (a) {
    a.addEventListener("click", function (ev) {
      var text = document.getElementById("body");
      var rich = document.querySelector(".pm-body");
      if (text && text.hidden && rich) { ev.preventDefault(); rich.focus(); rich.scrollIntoView({ block: "center" }); }
    });
  });
})();
