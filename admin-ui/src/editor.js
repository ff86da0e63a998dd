// The body editor: ProseMirror over the editor form's text field.
//
// The schema is exactly the article body model: paragraphs (with
// emphasis, strong and links), subheads, quotes with an attribution,
// lists, figures from the media library and timelines. Nothing else can
// be in the document, so nothing else survives a paste. On every change
// the document is written, as the body blocks' JSON, into a hidden field
// the server reads; without JavaScript the Markdown text field is used.

import { Schema } from "prosemirror-model";
import { EditorState, NodeSelection, TextSelection } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { history, undo, redo } from "prosemirror-history";
import { keymap } from "prosemirror-keymap";
import { baseKeymap, toggleMark, setBlockType } from "prosemirror-commands";
import { inputRules, textblockTypeInputRule, wrappingInputRule } from "prosemirror-inputrules";
import { wrapInList, splitListItem, liftListItem } from "prosemirror-schema-list";

// Links readers may follow: the web, mail, this site.
export function safeHref(href) {
  const h = String(href || "").replace(/^[\s\u0000-\u001f]+|[\s\u0000-\u001f]+$/g, "");
  if (!h || /[\u0000-\u001f]/.test(h)) return null;
  if (/^https?:\/\//i.test(h) || /^mailto:/i.test(h) || /^#/.test(h)) return h;
  if (/^\/(?![/\\])/.test(h)) return h;
  return null;
}

const headings = [1, 2, 3, 4, 5, 6].map((n) => ({ tag: "h" + n }));

export const schema = new Schema({
  nodes: {
    doc: { content: "block+" },
    paragraph: {
      group: "block",
      content: "inline*",
      parseDOM: [{ tag: "p" }],
      toDOM: () => ["p", 0],
    },
    subhead: {
      group: "block",
      content: "text*",
      marks: "",
      defining: true,
      parseDOM: headings,
      toDOM: () => ["h2", 0],
    },
    quote: {
      group: "block",
      content: "text*",
      marks: "",
      defining: true,
      attrs: { attribution: { default: "" } },
      parseDOM: [
        {
          tag: "blockquote",
          getAttrs: (dom) => ({ attribution: dom.getAttribute("data-attribution") || "" }),
        },
      ],
      toDOM: (n) => ["blockquote", { "data-attribution": n.attrs.attribution }, 0],
    },
    bullet_list: {
      group: "block",
      content: "list_item+",
      parseDOM: [{ tag: "ul" }],
      toDOM: () => ["ul", 0],
    },
    ordered_list: {
      group: "block",
      content: "list_item+",
      parseDOM: [{ tag: "ol" }],
      toDOM: () => ["ol", 0],
    },
    list_item: {
      content: "paragraph",
      defining: true,
      parseDOM: [{ tag: "li" }],
      toDOM: () => ["li", 0],
    },
    figure: {
      group: "block",
      atom: true,
      selectable: true,
      draggable: true,
      attrs: { media_id: {}, alt: { default: "" }, caption: { default: "" }, credit: { default: "" } },
      parseDOM: [
        {
          tag: "figure[data-media-id]",
          getAttrs: (dom) => {
            const id = Number(dom.getAttribute("data-media-id"));
            if (!Number.isInteger(id) || id <= 0) return false;
            return {
              media_id: id,
              alt: dom.getAttribute("data-alt") || "",
              caption: dom.getAttribute("data-caption") || "",
              credit: dom.getAttribute("data-credit") || "",
            };
          },
        },
      ],
      toDOM: (n) => [
        "figure",
        {
          class: "pm-atom",
          "data-media-id": String(n.attrs.media_id),
          "data-alt": n.attrs.alt,
          "data-caption": n.attrs.caption,
          "data-credit": n.attrs.credit,
        },
        ["strong", "Figure: media item " + n.attrs.media_id],
        ["span", n.attrs.caption || "(no caption)"],
        ["span", n.attrs.credit ? "Credit: " + n.attrs.credit : "(no credit)"],
        ["span", n.attrs.alt ? "Alt: " + n.attrs.alt : "(no alternative text)"],
      ],
    },
    timeline: {
      group: "block",
      atom: true,
      selectable: true,
      draggable: true,
      attrs: { title: { default: "" }, entries: { default: [] } },
      parseDOM: [
        {
          tag: "div[data-timeline]",
          getAttrs: (dom) => {
            try {
              const t = JSON.parse(dom.getAttribute("data-timeline"));
              return { title: String(t.title || ""), entries: cleanEntries(t.entries) };
            } catch (e) {
              return false;
            }
          },
        },
      ],
      toDOM: (n) => [
        "div",
        {
          class: "pm-atom",
          "data-timeline": JSON.stringify({ title: n.attrs.title, entries: n.attrs.entries }),
        },
        ["strong", "Timeline: " + (n.attrs.title || "(no title)")],
        ["ul", ...n.attrs.entries.map((e) => ["li", e.date + ": " + e.text])],
      ],
    },
    text: { group: "inline" },
  },
  marks: {
    link: {
      attrs: { href: {} },
      inclusive: false,
      parseDOM: [
        {
          tag: "a[href]",
          getAttrs: (dom) => {
            const href = safeHref(dom.getAttribute("href"));
            return href ? { href } : false;
          },
        },
      ],
      // A stored link that is not allowed (it blocks publishing) is shown
      // marked, never as a working link.
      toDOM: (m) =>
        safeHref(m.attrs.href)
          ? ["a", { href: m.attrs.href, rel: "noopener noreferrer nofollow", title: m.attrs.href }, 0]
          : ["a", { class: "pm-unsafe-link", title: "Not allowed: " + m.attrs.href }, 0],
    },
    strong: {
      parseDOM: [
        { tag: "strong" },
        // Google Docs wraps a whole paste in <b style="font-weight:normal">.
        { tag: "b", getAttrs: (dom) => dom.style.fontWeight !== "normal" && null },
        { style: "font-weight", getAttrs: (v) => /^(bold(er)?|[6-9]\d\d)$/.test(v) && null },
      ],
      toDOM: () => ["strong", 0],
    },
    em: {
      parseDOM: [{ tag: "i" }, { tag: "em" }, { style: "font-style=italic" }],
      toDOM: () => ["em", 0],
    },
  },
});

function realDate(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(s + "T00:00:00Z");
  return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function cleanEntries(entries) {
  return (Array.isArray(entries) ? entries : [])
    .filter((e) => e && realDate(e.date))
    .map((e) => {
      const out = { date: e.date, text: String(e.text || "") };
      if (Number.isInteger(e.article_id) && e.article_id > 0) out.article_id = e.article_id;
      return out;
    });
}

// ---- Blocks (the server's JSON) to a document, and back.

function textNodes(spans, marks, out) {
  for (const s of spans || []) {
    if (s.type === "text") {
      if (s.text) out.push(schema.text(s.text, marks));
    } else if (s.type === "emphasis") {
      textNodes(s.children, schema.marks.em.create().addToSet(marks), out);
    } else if (s.type === "strong") {
      textNodes(s.children, schema.marks.strong.create().addToSet(marks), out);
    } else if (s.type === "link") {
      textNodes(s.children, schema.marks.link.create({ href: s.href }).addToSet(marks), out);
    }
  }
  return out;
}

function plain(text) {
  return text ? [schema.text(text)] : [];
}

export function toDoc(blocks) {
  const nodes = [];
  for (const b of blocks || []) {
    switch (b.type) {
      case "paragraph":
        nodes.push(schema.nodes.paragraph.create(null, textNodes(b.content, [], [])));
        break;
      case "subhead":
        nodes.push(schema.nodes.subhead.create(null, plain(b.text)));
        break;
      case "quote":
        nodes.push(schema.nodes.quote.create({ attribution: b.attribution || "" }, plain(b.text)));
        break;
      case "list": {
        const items = (b.items || []).map((item) =>
          schema.nodes.list_item.create(null, schema.nodes.paragraph.create(null, textNodes(item, [], []))),
        );
        if (items.length) nodes.push((b.ordered ? schema.nodes.ordered_list : schema.nodes.bullet_list).create(null, items));
        break;
      }
      case "figure":
        nodes.push(
          schema.nodes.figure.create({
            media_id: b.media_id,
            alt: b.alt || "",
            caption: b.caption || "",
            credit: b.credit || "",
          }),
        );
        break;
      case "timeline":
        nodes.push(schema.nodes.timeline.create({ title: b.title || "", entries: cleanEntries(b.entries) }));
        break;
      default:
        break;
    }
  }
  if (!nodes.length) nodes.push(schema.nodes.paragraph.create());
  return schema.nodes.doc.create(null, nodes);
}

function pushSpan(out, span) {
  const last = out[out.length - 1];
  if (span.type === "text" && last && last.type === "text") {
    last.text += span.text;
  } else {
    out.push(span);
  }
}

function spans(node) {
  const out = [];
  node.forEach((child) => {
    if (!child.isText) return;
    let span = { type: "text", text: child.text };
    const has = (t) => child.marks.find((m) => m.type === t);
    if (has(schema.marks.em)) span = { type: "emphasis", children: [span] };
    if (has(schema.marks.strong)) span = { type: "strong", children: [span] };
    const link = has(schema.marks.link);
    if (link) {
      const last = out[out.length - 1];
      if (last && last.type === "link" && last.href === link.attrs.href) {
        pushSpan(last.children, span);
        return;
      }
      span = { type: "link", href: link.attrs.href, children: [span] };
    }
    pushSpan(out, span);
  });
  return out;
}

const opt = (o, k, v) => {
  if (v) o[k] = v;
  return o;
};

export function toBlocks(doc) {
  const out = [];
  doc.forEach((n) => {
    switch (n.type.name) {
      case "paragraph":
        if (n.textContent.trim()) out.push({ type: "paragraph", content: spans(n) });
        break;
      case "subhead":
        if (n.textContent.trim()) out.push({ type: "subhead", text: n.textContent });
        break;
      case "quote":
        if (n.textContent.trim()) out.push(opt({ type: "quote", text: n.textContent }, "attribution", n.attrs.attribution));
        break;
      case "bullet_list":
      case "ordered_list": {
        const items = [];
        n.forEach((li) => {
          if (li.textContent.trim()) items.push(spans(li.firstChild));
        });
        if (items.length) out.push({ type: "list", ordered: n.type.name === "ordered_list", items });
        break;
      }
      case "figure": {
        const f = { type: "figure", media_id: n.attrs.media_id };
        opt(f, "alt", n.attrs.alt);
        opt(f, "caption", n.attrs.caption);
        opt(f, "credit", n.attrs.credit);
        out.push(f);
        break;
      }
      case "timeline":
        out.push(opt({ type: "timeline", entries: n.attrs.entries }, "title", n.attrs.title));
        break;
      default:
        break;
    }
  });
  return out;
}

// ---- Dialogs for figures, timelines and links.

function dialog(title, fields, done) {
  const d = document.createElement("dialog");
  d.className = "pm-dialog";
  const form = document.createElement("form");
  form.method = "dialog";
  const h = document.createElement("h2");
  h.textContent = title;
  form.appendChild(h);
  const inputs = {};
  fields.forEach((f, i) => {
    const p = document.createElement("p");
    const label = document.createElement("label");
    const id = "pm-field-" + i;
    label.htmlFor = id;
    label.textContent = f.label;
    const input = document.createElement(f.multiline ? "textarea" : "input");
    input.id = id;
    input.name = f.name;
    if (!f.multiline) input.type = "text";
    else input.rows = 6;
    if (f.numeric) input.inputMode = "numeric";
    input.value = f.value || "";
    inputs[f.name] = input;
    p.appendChild(label);
    p.appendChild(input);
    // The library's picker (admin.js) fills in the number.
    if (f.pick && window.newsdeskPickerButton) p.appendChild(window.newsdeskPickerButton(input));
    if (f.hint) {
      const small = document.createElement("small");
      small.textContent = f.hint;
      p.appendChild(small);
    }
    form.appendChild(p);
  });
  const error = document.createElement("p");
  error.className = "error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  form.appendChild(error);
  const buttons = document.createElement("p");
  const ok = document.createElement("button");
  ok.type = "submit";
  ok.value = "ok";
  ok.textContent = "Done";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "quiet";
  cancel.textContent = "Cancel";
  cancel.addEventListener("click", () => d.close("cancel"));
  buttons.appendChild(ok);
  buttons.appendChild(cancel);
  form.appendChild(buttons);
  form.addEventListener("submit", (ev) => {
    const values = {};
    Object.keys(inputs).forEach((k) => (values[k] = inputs[k].value.trim()));
    const problem = done(values);
    if (problem) {
      ev.preventDefault();
      error.textContent = problem;
      error.hidden = false;
    }
  });
  d.appendChild(form);
  d.addEventListener("close", () => d.remove());
  document.body.appendChild(d);
  d.showModal();
}

function parseTimeline(text) {
  const entries = [];
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  for (const l of lines) {
    const m = /^(\d{4}-\d{2}-\d{2})(?: \((\d+)\))?:\s*(.*)$/.exec(l);
    if (!m) return { problem: "Each line is “YYYY-MM-DD: what happened”: " + l };
    const d = new Date(m[1] + "T00:00:00Z");
    if (isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== m[1]) return { problem: "There is no such date: " + m[1] };
    const e = { date: m[1], text: m[3] };
    if (m[2]) e.article_id = Number(m[2]);
    entries.push(e);
  }
  return { entries };
}

function selectedAtom(state, type) {
  const sel = state.selection;
  return sel instanceof NodeSelection && sel.node.type === type ? sel : null;
}

// Puts a figure or timeline in place of the selected one, or at the cursor
// with the cursor in a paragraph after it, so typing goes on below.
function putAtom(view, sel, node) {
  let tr = view.state.tr;
  if (sel) {
    tr = tr.replaceWith(sel.from, sel.to, node);
    tr = tr.setSelection(NodeSelection.create(tr.doc, sel.from));
  } else {
    tr = tr.replaceSelectionWith(node);
    // When the new node ends up selected, move on to a paragraph after it
    // (made if there is none); otherwise the cursor is already after it.
    if (tr.selection instanceof NodeSelection) {
      const end = tr.selection.to;
      const next = tr.doc.resolve(end).nodeAfter;
      if (!next || !next.isTextblock) tr = tr.insert(end, schema.nodes.paragraph.create());
      tr = tr.setSelection(TextSelection.create(tr.doc, end + 1));
    }
  }
  view.dispatch(tr.scrollIntoView());
  view.focus();
}

function editFigure(view) {
  const sel = selectedAtom(view.state, schema.nodes.figure);
  const a = sel ? sel.node.attrs : {};
  dialog(
    sel ? "Edit the figure" : "Add a figure",
    [
      { name: "media_id", label: "Media item number", value: a.media_id ? String(a.media_id) : "", numeric: true, pick: true, hint: "Alt text, caption and credit left empty here come from the library item." },
      { name: "alt", label: "Alternative text", value: a.alt, hint: "What the picture shows, for people who cannot see it." },
      { name: "caption", label: "Caption", value: a.caption },
      { name: "credit", label: "Credit", value: a.credit },
    ],
    (v) => {
      const id = Number(v.media_id);
      if (!Number.isInteger(id) || id <= 0) return "The media item number is a whole number.";
      putAtom(view, sel, schema.nodes.figure.create({ media_id: id, alt: v.alt, caption: v.caption, credit: v.credit }));
      return null;
    },
  );
}

function editTimeline(view) {
  const sel = selectedAtom(view.state, schema.nodes.timeline);
  const a = sel ? sel.node.attrs : { title: "", entries: [] };
  dialog(
    sel ? "Edit the timeline" : "Add a timeline",
    [
      { name: "title", label: "Title", value: a.title },
      {
        name: "entries",
        label: "Entries",
        multiline: true,
        value: a.entries.map((e) => e.date + (e.article_id ? " (" + e.article_id + ")" : "") + ": " + e.text).join("\n"),
        hint: "One a line: 2024-03-01: what happened. Put an earlier article's number in brackets after the date to link it.",
      },
    ],
    (v) => {
      const parsed = parseTimeline(v.entries);
      if (parsed.problem) return parsed.problem;
      putAtom(view, sel, schema.nodes.timeline.create({ title: v.title, entries: parsed.entries }));
      return null;
    },
  );
}

function editLink(view) {
  const { state } = view;
  const type = schema.marks.link;
  const { from, to, empty } = state.selection;
  let current = "";
  state.doc.nodesBetween(from, to, (n) => {
    const m = type.isInSet(n.marks);
    if (m) current = m.attrs.href;
  });
  if (empty && !current) return false;
  dialog("Link", [{ name: "href", label: "Address (empty removes the link)", value: current }], (v) => {
    let tr = view.state.tr.removeMark(from, to, type);
    if (v.href) {
      const href = safeHref(v.href);
      if (!href) return "Links go to https://, http://, mailto: or a path on this site.";
      tr = tr.addMark(from, to, type.create({ href }));
    }
    view.dispatch(tr);
    view.focus();
    return null;
  });
  return true;
}

function editAttribution(view) {
  const { $from } = view.state.selection;
  const quote = $from.parent.type === schema.nodes.quote ? $from.parent : null;
  if (!quote) return false;
  const pos = $from.before();
  dialog("Who said it", [{ name: "attribution", label: "Attribution", value: quote.attrs.attribution }], (v) => {
    view.dispatch(view.state.tr.setNodeMarkup(pos, null, { attribution: v.attribution }));
    view.focus();
    return null;
  });
  return true;
}

// ---- Keys and input rules.

const cmd = (f) => (state, dispatch, view) => f(view);

function keys() {
  const mod = {
    "Mod-z": undo,
    "Shift-Mod-z": redo,
    "Mod-y": redo,
    "Mod-b": toggleMark(schema.marks.strong),
    "Mod-i": toggleMark(schema.marks.em),
    "Mod-k": (state, dispatch, view) => (view ? editLink(view) : true),
    "Mod-Alt-0": setBlockType(schema.nodes.paragraph),
    "Mod-Alt-2": setBlockType(schema.nodes.subhead),
    Enter: splitListItem(schema.nodes.list_item),
    "Shift-Tab": liftListItem(schema.nodes.list_item),
  };
  return mod;
}

function rules() {
  return inputRules({
    rules: [
      textblockTypeInputRule(/^#{1,6}\s$/, schema.nodes.subhead),
      textblockTypeInputRule(/^>\s$/, schema.nodes.quote),
      wrappingInputRule(/^\s*([-+*])\s$/, schema.nodes.bullet_list),
      wrappingInputRule(/^(\d+)\.\s$/, schema.nodes.ordered_list),
    ],
  });
}

// ---- The toolbar.

function markActive(state, type) {
  const { from, $from, to, empty } = state.selection;
  if (empty) return !!type.isInSet(state.storedMarks || $from.marks());
  return state.doc.rangeHasMark(from, to, type);
}

function toolbar(view, holder) {
  const bar = document.createElement("div");
  bar.className = "pm-toolbar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Body formatting");
  bar.setAttribute("aria-controls", "body-editor");
  const items = [
    { label: "Bold", keys: "Ctrl+B", run: toggleMark(schema.marks.strong), mark: schema.marks.strong },
    { label: "Italic", keys: "Ctrl+I", run: toggleMark(schema.marks.em), mark: schema.marks.em },
    { label: "Link", keys: "Ctrl+K", run: (s, d, v) => editLink(v), can: (s) => !s.selection.empty || markActive(s, schema.marks.link) },
    { label: "Paragraph", keys: "Ctrl+Alt+0", run: setBlockType(schema.nodes.paragraph), block: schema.nodes.paragraph },
    { label: "Subhead", keys: "Ctrl+Alt+2 or ## at the start", run: setBlockType(schema.nodes.subhead), block: schema.nodes.subhead },
    { label: "Quote", keys: "> at the start", run: setBlockType(schema.nodes.quote), block: schema.nodes.quote },
    { label: "Who said it", run: (s, d, v) => editAttribution(v), can: (s) => s.selection.$from.parent.type === schema.nodes.quote },
    { label: "Bulleted list", keys: "- at the start", run: wrapInList(schema.nodes.bullet_list) },
    { label: "Numbered list", keys: "1. at the start", run: wrapInList(schema.nodes.ordered_list) },
    { label: "Figure", run: cmd(editFigure), always: true },
    { label: "Timeline", run: cmd(editTimeline), always: true },
    { label: "Undo", keys: "Ctrl+Z", run: undo },
    { label: "Redo", keys: "Ctrl+Y", run: redo },
  ];
  const buttons = items.map((item) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = item.label;
    b.className = "quiet";
    b.dataset.command = item.label.toLowerCase().replace(/ /g, "-");
    if (item.keys) b.title = item.label + " (" + item.keys + ")";
    if (item.mark) b.setAttribute("aria-pressed", "false");
    b.addEventListener("mousedown", (e) => e.preventDefault());
    b.addEventListener("click", () => {
      item.run(view.state, view.dispatch, view);
      if (!item.always) view.focus();
    });
    bar.appendChild(b);
    return { item, b };
  });
  holder.appendChild(bar);
  return () => {
    const s = view.state;
    for (const { item, b } of buttons) {
      if (item.mark) b.setAttribute("aria-pressed", String(markActive(s, item.mark)));
      if (!item.always) b.disabled = !(item.can ? item.can(s) : item.run(s, null, view));
    }
  };
}

// ---- Mounting.

function mount() {
  const form = document.querySelector("form.editor");
  const textarea = document.getElementById("body");
  const data = document.getElementById("body-blocks");
  if (!form || !textarea || !data) return;
  let blocks;
  try {
    blocks = JSON.parse(data.textContent);
  } catch (e) {
    return;
  }
  const field = document.createElement("input");
  field.type = "hidden";
  field.name = "body_blocks";
  form.appendChild(field);

  const holder = document.createElement("div");
  holder.className = "pm-holder";
  textarea.parentNode.insertBefore(holder, textarea);
  const hint = document.getElementById("body-hint");
  if (hint) hint.textContent = "Shortcuts: Ctrl+B bold, Ctrl+I italic, Ctrl+K link; ## at the start of a line makes a subhead, > a quote, - or 1. a list. Pasted text keeps only what an article can hold.";

  const label = document.querySelector('label[for="body"]');
  if (label) label.id = "body-label";
  let update = () => {};
  const stateOf = (bs) =>
    EditorState.create({
      doc: toDoc(bs),
      plugins: [rules(), keymap(keys()), keymap(baseKeymap), history()],
    });
  const sync = () => {
    field.value = JSON.stringify(toBlocks(view.state.doc));
  };
  const view = new EditorView(null, {
    state: stateOf(blocks),
    attributes: {
      id: "body-editor",
      class: "pm-body",
      role: "textbox",
      "aria-multiline": "true",
      "aria-labelledby": "body-label",
      "aria-describedby": "body-hint",
    },
    dispatchTransaction(tr) {
      view.updateState(view.state.apply(tr));
      if (tr.docChanged) {
        sync();
        form.dispatchEvent(new Event("input", { bubbles: true }));
      }
      update();
    },
  });
  update = toolbar(view, holder);
  holder.appendChild(view.dom);
  sync();
  update();
  // Only now that the editor holds the body does the text field step back.
  textarea.hidden = true;
  textarea.disabled = true;
  if (label) label.addEventListener("click", () => view.focus());
  // The unsaved copy put back by the page's other script.
  form.addEventListener("newsdesk:restored", (ev) => {
    const fields = (ev && ev.detail) || {};
    if (fields.body_blocks) {
      try {
        view.updateState(stateOf(JSON.parse(fields.body_blocks || "[]")));
        sync();
        update();
      } catch (e) {
        /* keep what is there */
      }
    } else if ("body" in fields) {
      // A copy written in the text field: give the text field back, with
      // it, rather than lose it.
      textarea.value = fields.body;
      textarea.disabled = false;
      textarea.hidden = false;
      field.remove();
      holder.remove();
      view.destroy();
    }
  });
  window.newsdeskEditor = { view, toBlocks: () => toBlocks(view.state.doc) };
}

mount();
