// restitution edit: the session's lines, editable in place; a save posts the edits as
// {"edits": [{kind, ...}]} (see CORRECTIONS_API / restitution.corrections) and reloads.
(function () {
  "use strict";
  var audio = document.getElementById("player");
  var linesBox = document.getElementById("lines");
  var chaptersBox = document.getElementById("chapters");
  var people = document.getElementById("people");
  var form = document.getElementById("speaker-form");
  var statusBox = document.getElementById("status");
  var pendingBox = document.getElementById("pending");
  var threshold = parseFloat(document.body.getAttribute("data-threshold")) || 0.5;
  var STATUS_KEY = "restitution-edit-status";

  var speakers = [];      // {id, name, original}
  var lines = [];         // {start, end, speaker, original speaker, tokens, text, el, textEl, select}
  var chapters = [];      // {index, title, start, el, titleInput, startInput}
  var voiceOps = [];      // queued renames and merges, in the order they were made
  var saving = false, leaving = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function pad(n, w) { n = String(n); while (n.length < w) { n = "0" + n; } return n; }
  function hms(t, decimals) {
    var s = Math.max(0, t), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s - h * 3600 - m * 60;
    var whole = Math.floor(sec), text = pad(h, 2) + ":" + pad(m, 2) + ":" + pad(whole, 2);
    if (decimals) { text += "." + String(Math.round((sec - whole) * 10) % 10); }
    return text;
  }
  // "125", "125.5", "2:05", "00:02:05.5" -> seconds; NaN when it is not a time.
  function parseTime(text) {
    var parts = text.trim().split(":");
    if (parts.length > 3 || !parts.every(function (p) { return /^\d+(\.\d+)?$/.test(p); })) { return NaN; }
    return parts.reduce(function (acc, p) { return acc * 60 + parseFloat(p); }, 0);
  }
  function say(message, isError) {
    statusBox.textContent = message;
    statusBox.classList.toggle("error", !!isError);
  }
  function speakerName(id) {
    var sp = speakers.find(function (s) { return s.id === id; });
    return sp ? sp.name : (id || "—");
  }
  function play(t) {
    audio.currentTime = t;
    var p = audio.play();
    if (p && p.catch) { p.catch(function () {}); }
  }

  // --- building the page from the session's JSON view ------------------------------------

  // Each reader word may hold a space ("économie ?"); the diff works on what a reader types
  // between spaces, each piece keeping its word's times and probability.
  function tokensOf(line) {
    var out = [];
    if (!line.words.length) {
      line.text.split(/\s+/).filter(Boolean).forEach(function (t) { out.push({ text: t, start: line.start, end: line.end, p: 1 }); });
      return out;
    }
    line.words.forEach(function (w) {
      w[0].split(/\s+/).filter(Boolean).forEach(function (t) { out.push({ text: t, start: w[1], end: w[2], p: w[3] }); });
    });
    return out;
  }

  function fillText(line) {
    var box = line.textEl;
    box.textContent = "";
    line.tokens.forEach(function (tok, i) {
      if (i) { box.appendChild(document.createTextNode(" ")); }
      var w = el("span", "w" + (tok.p < threshold ? " low" : ""), tok.text);
      w.setAttribute("data-start", tok.start);
      if (tok.p < threshold) { w.title = "probability " + tok.p.toFixed(2); }
      box.appendChild(w);
    });
  }

  function speakerSelect(line) {
    var select = el("select");
    select.setAttribute("aria-label", "Speaker of the line at " + hms(line.start));
    speakers.forEach(function (sp) {
      var o = el("option", "", sp.name);
      o.value = sp.id;
      select.appendChild(o);
    });
    if (line.speaker && !speakers.some(function (s) { return s.id === line.speaker; })) {
      var o = el("option", "", line.speaker); o.value = line.speaker; select.appendChild(o);
    }
    if (!line.speaker) { var none = el("option", "", "—"); none.value = ""; select.insertBefore(none, select.firstChild); }
    select.value = line.speaker || "";
    select.addEventListener("change", function () { mark(line); });
    return select;
  }

  function buildLine(data, i) {
    var line = { i: i, start: data.start, end: data.end, speaker: data.speaker, words: data.words, text: data.text };
    line.tokens = tokensOf(line);
    line.original = line.tokens.map(function (t) { return t.text; }).join(" ");
    var box = el("div", "para line");
    box.setAttribute("data-start", data.start.toFixed(2));
    box.setAttribute("data-i", i);
    var time = el("time", "", hms(data.start));
    var who = el("span", "who");
    line.select = speakerSelect(line);
    who.appendChild(line.select);
    line.textEl = el("p", "text");
    line.textEl.setAttribute("contenteditable", "plaintext-only");
    line.textEl.setAttribute("spellcheck", "true");
    line.textEl.setAttribute("aria-label", "Line at " + hms(data.start));
    fillText(line);
    box.appendChild(time); box.appendChild(who); box.appendChild(line.textEl);
    line.el = box;
    time.addEventListener("click", function () { play(line.start); });
    line.textEl.addEventListener("click", function (e) {
      var w = e.target.closest ? e.target.closest(".w") : null;
      play(w ? parseFloat(w.getAttribute("data-start")) : line.start);
    });
    line.textEl.addEventListener("input", function () { mark(line); });
    line.textEl.addEventListener("focus", function () { current = line; });
    line.textEl.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.altKey && !e.ctrlKey) { e.preventDefault(); moveLine(1, true); }
      else if (e.key === "Escape") { e.preventDefault(); fillText(line); line.select.value = line.speaker || ""; mark(line); }
    });
    return line;
  }

  function buildChapter(data) {
    var ch = { index: data.index, title: data.title, start: data.start };
    var li = el("li", "chapter-edit");
    li.appendChild(el("span", "num", data.index + "."));
    ch.titleInput = el("input", "title");
    ch.titleInput.value = data.title;
    ch.titleInput.setAttribute("aria-label", "Title of chapter " + data.index);
    var row = el("span", "row");
    ch.startInput = el("input", "start");
    ch.startInput.value = hms(data.start, true);
    ch.startInput.setAttribute("aria-label", "Start of chapter " + data.index);
    var now = el("button", "", "now");
    now.type = "button";
    now.title = "Start at the playback position (Alt+T)";
    var go = el("button", "", "▶");
    go.type = "button";
    go.title = "Play from this start";
    if (data.start <= 0.05) {  // the first chapter starts with the recording: its start is not a choice
      ch.startInput.disabled = true;
      now.disabled = true;
    }
    row.appendChild(ch.startInput); row.appendChild(now); row.appendChild(go);
    li.appendChild(ch.titleInput); li.appendChild(row);
    ch.el = li;
    [ch.titleInput, ch.startInput].forEach(function (input) {
      input.addEventListener("input", function () { markChapter(ch); });
      input.addEventListener("keydown", function (e) {
        if (e.altKey && e.code === "KeyT") { e.preventDefault(); setStartNow(ch); }
      });
    });
    now.addEventListener("click", function () { setStartNow(ch); });
    go.addEventListener("click", function () { var t = parseTime(ch.startInput.value); play(isNaN(t) ? ch.start : t); });
    return ch;
  }

  function setStartNow(ch) { ch.startInput.value = hms(audio.currentTime, true); markChapter(ch); }

  function buildPeople() {
    people.textContent = "";
    speakers.forEach(function (sp) {
      var li = el("li", "chip-item");
      var chip = el("button", "chip" + (sp.name !== sp.original ? " changed" : ""), sp.name);
      chip.type = "button";
      chip.setAttribute("data-speaker", sp.id);
      chip.title = sp.id + ": rename or merge this voice";
      chip.addEventListener("click", function () { openSpeaker(sp); });
      li.appendChild(chip);
      people.appendChild(li);
    });
  }

  function render(view) {
    speakers = view.speakers.map(function (s) { return { id: s.id, name: s.name, original: s.name }; });
    buildPeople();
    linesBox.textContent = "";
    lines = view.lines.map(buildLine);
    var sections = {}, before = el("section", "chapter");
    var sorted = view.chapters.slice().sort(function (a, b) { return a.start - b.start; });
    sorted.forEach(function (c) {
      var s = el("section", "chapter");
      var h = el("h3");
      h.appendChild(el("span", "num", c.index + "."));
      h.appendChild(document.createTextNode(c.title));
      s.appendChild(h);
      sections[c.index] = s;
    });
    lines.forEach(function (line) {
      var owner = null;
      sorted.forEach(function (c) { if (c.start <= line.start + 0.05) { owner = c; } });
      (owner ? sections[owner.index] : before).appendChild(line.el);
    });
    if (before.childNodes.length) { linesBox.appendChild(before); }
    sorted.forEach(function (c) { linesBox.appendChild(sections[c.index]); });
    if (!lines.length) { linesBox.appendChild(el("p", "empty", "Nothing was transcribed.")); }
    chaptersBox.textContent = "";
    chapters = view.chapters.map(buildChapter);
    chapters.forEach(function (ch) { chaptersBox.appendChild(ch.el); });
    update();
  }

  // --- what changed -----------------------------------------------------------------------

  function words(text) { return text.split(/\s+/).filter(Boolean); }

  // One "words" edit per changed line: the span from its first to its last changed word.
  function wordEdit(line) {
    var old = line.tokens, typed = words(line.textEl.textContent);
    var a = 0;
    while (a < old.length && a < typed.length && old[a].text === typed[a]) { a++; }
    var b = 0;
    while (b < old.length - a && b < typed.length - a && old[old.length - 1 - b].text === typed[typed.length - 1 - b]) { b++; }
    var gone = old.slice(a, old.length - b), added = typed.slice(a, typed.length - b);
    if (!gone.length && !added.length) { return null; }
    if (gone.length) {
      // A word the decoder gave no duration (start == end) would read as an insertion point:
      // the span is made a millisecond long so that it still holds the words it replaces.
      var last = gone[gone.length - 1].end;
      return { kind: "words", start: gone[0].start, end: Math.max(last, gone[0].start + 0.001),
               old: gone.map(function (t) { return t.text; }).join(" "), new: added.join(" ") };
    }
    var at = a > 0 ? old[a - 1].end : (old.length ? old[0].start : line.start);
    return { kind: "words", start: at, end: at, old: "", new: added.join(" ") };
  }

  function chapterEdit(ch) {
    var edit = { kind: "chapter", index: ch.index }, changed = false;
    var title = ch.titleInput.value.trim();
    if (title !== ch.title) {
      if (!title) { throw new Error("chapter " + ch.index + ": a title cannot be empty"); }
      edit.title = title; changed = true;
    }
    if (ch.startInput.value.trim() !== hms(ch.start, true)) {
      var t = parseTime(ch.startInput.value);
      if (isNaN(t)) { throw new Error("chapter " + ch.index + ": start “" + ch.startInput.value + "” is not a time (HH:MM:SS)"); }
      if (Math.abs(t - ch.start) >= 0.05) { edit.start = t; changed = true; }
    }
    return changed ? edit : null;
  }

  // In the order the corrections apply: words, then lines given to another voice, then voices
  // renamed and merged, then chapters.
  function edits() {
    var out = [];
    lines.forEach(function (line) { var e = wordEdit(line); if (e) { out.push(e); } });
    lines.forEach(function (line) {
      if ((line.select.value || null) !== (line.speaker || null) && line.select.value) {
        out.push({ kind: "speaker", start: line.start, end: line.end, speaker: line.select.value });
      }
    });
    voiceOps.forEach(function (op) { out.push(op); });
    chapters.forEach(function (ch) { var e = chapterEdit(ch); if (e) { out.push(e); } });
    return out;
  }

  function dirtyCount() {
    try { return edits().length; } catch (e) { return -1; }
  }
  function showPending() {
    var n = dirtyCount();
    pendingBox.textContent = n < 0 ? "a value is not valid" : n === 0 ? "no changes" : n === 1 ? "1 change not saved" : n + " changes not saved";
  }
  function mark(line) {
    var changed = words(line.textEl.textContent).join(" ") !== line.original || (line.select.value || "") !== (line.speaker || "");
    line.el.classList.toggle("changed", changed);
    showPending();
  }
  function markChapter(ch) {
    var t = parseTime(ch.startInput.value);
    ch.startInput.setAttribute("aria-invalid", isNaN(t) ? "true" : "false");
    ch.el.classList.toggle("changed", ch.titleInput.value.trim() !== ch.title || ch.startInput.value.trim() !== hms(ch.start, true));
    showPending();
  }

  // --- speakers: rename or merge a voice ---------------------------------------------------

  var editing = null;
  function openSpeaker(sp) {
    editing = sp;
    form.hidden = false;
    document.getElementById("speaker-id").textContent = sp.id;
    var name = document.getElementById("speaker-name");
    name.value = sp.name;
    var into = document.getElementById("merge-into");
    into.textContent = "";
    speakers.forEach(function (other) {
      if (other.id === sp.id) { return; }
      var o = el("option", "", other.name); o.value = other.id; into.appendChild(o);
    });
    document.getElementById("merge").disabled = !into.options.length;
    name.focus(); name.select();
  }
  function closeSpeaker() { form.hidden = true; editing = null; }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var name = document.getElementById("speaker-name").value.trim();
    if (!editing || !name || name === editing.name) { closeSpeaker(); return; }
    voiceOps.push({ kind: "rename", speaker: editing.id, name: name });
    editing.name = name;
    lines.forEach(function (line) { Array.prototype.forEach.call(line.select.options, function (o) { if (o.value === editing.id) { o.textContent = name; } }); });
    buildPeople(); closeSpeaker(); showPending();
  });
  document.getElementById("merge").addEventListener("click", function () {
    var into = document.getElementById("merge-into").value;
    if (!editing || !into) { return; }
    var gone = editing.id;
    voiceOps.push({ kind: "merge", speaker: gone, into: into });
    lines.forEach(function (line) {
      if (line.select.value === gone) { line.select.value = into; }
      var opt = Array.prototype.find.call(line.select.options, function (o) { return o.value === gone; });
      if (opt) { opt.remove(); }
      if (line.speaker === gone) { line.speaker = into; }  // the merge moves it; no "speaker" edit as well
    });
    speakers = speakers.filter(function (s) { return s.id !== gone; });
    buildPeople(); closeSpeaker(); showPending();
  });
  document.getElementById("speaker-cancel").addEventListener("click", closeSpeaker);
  form.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); closeSpeaker(); } });

  // --- playback, the current line and the keys ---------------------------------------------

  var current = null;
  function lineAt(t) {
    var found = null;
    lines.forEach(function (line) { if (line.start <= t + 0.05) { found = line; } });
    return found;
  }
  function update() {
    var t = audio.currentTime, at = lineAt(t);
    lines.forEach(function (line) { line.el.classList.toggle("current", line === at); });
    var ch = null;
    chapters.forEach(function (c) { if (c.start <= t + 0.05 && (!ch || c.start >= ch.start)) { ch = c; } });
    chapters.forEach(function (c) { c.el.classList.toggle("current", c === ch); });
  }
  audio.addEventListener("timeupdate", update);
  audio.addEventListener("seeked", update);

  function focusLine(line, playIt) {
    if (!line) { return; }
    current = line;
    line.textEl.focus();
    line.el.scrollIntoView({ block: "nearest" });
    if (playIt) { play(line.start); }
  }
  function currentLine() {
    var active = document.activeElement;
    var own = lines.find(function (l) { return l.textEl === active || l.el.contains(active); });
    return own || current || lineAt(audio.currentTime) || lines[0];
  }
  function moveLine(step, playIt) {
    var line = currentLine();
    var i = line ? lines.indexOf(line) + step : 0;
    if (i >= 0 && i < lines.length) { focusLine(lines[i], playIt); }
  }

  function selectWord(w) {
    var line = lines.find(function (l) { return l.textEl.contains(w); });
    if (line) { current = line; line.textEl.focus(); }
    var range = document.createRange();
    range.selectNodeContents(w);
    var sel = window.getSelection();
    sel.removeAllRanges(); sel.addRange(range);
    document.querySelectorAll(".w.here").forEach(function (x) { x.classList.remove("here"); });
    w.classList.add("here");
    w.scrollIntoView({ block: "center" });
    audio.currentTime = parseFloat(w.getAttribute("data-start")) || 0;
  }
  // The next (or previous) low-confidence word after the one selected, else after the playback position.
  function lowWord(step) {
    var all = Array.prototype.slice.call(document.querySelectorAll(".w.low"));
    if (!all.length) { say("no low-confidence word in this session"); return; }
    var here = document.querySelector(".w.here"), i = all.indexOf(here), next;
    if (i >= 0) { next = all[i + step]; }
    else {
      var t = audio.currentTime;
      var later = all.filter(function (w) { return parseFloat(w.getAttribute("data-start")) > t + 0.01; });
      var earlier = all.filter(function (w) { return parseFloat(w.getAttribute("data-start")) < t - 0.01; });
      next = step > 0 ? later[0] : earlier[earlier.length - 1];
    }
    if (next) { selectWord(next); } else { say(step > 0 ? "no low-confidence word after this one" : "no low-confidence word before this one"); }
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey && !e.altKey && (e.code === "Space" || e.key === " ")) {
      e.preventDefault();
      if (audio.paused) { var p = audio.play(); if (p && p.catch) { p.catch(function () {}); } } else { audio.pause(); }
    } else if (e.ctrlKey && !e.altKey && e.code === "KeyS") {
      e.preventDefault(); save();
    } else if (e.altKey && !e.ctrlKey && e.code === "KeyR") {
      e.preventDefault(); var line = currentLine(); if (line) { current = line; play(line.start); }
    } else if (e.altKey && !e.ctrlKey && e.code === "KeyN") {
      e.preventDefault(); lowWord(1);
    } else if (e.altKey && !e.ctrlKey && e.code === "KeyP") {
      e.preventDefault(); lowWord(-1);
    } else if (e.altKey && !e.ctrlKey && e.key === "ArrowDown") {
      e.preventDefault(); moveLine(1, true);
    } else if (e.altKey && !e.ctrlKey && e.key === "ArrowUp") {
      e.preventDefault(); moveLine(-1, true);
    }
  });

  // --- saving -----------------------------------------------------------------------------

  function save() {
    if (saving) { return; }
    var list;
    try { list = edits(); } catch (err) { say(err.message, true); return; }
    if (!list.length) { say("nothing to save"); return; }
    saving = true;
    say("saving " + list.length + " change" + (list.length === 1 ? "" : "s") + " and republishing…");
    fetch("save", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ edits: list }) })
      .then(function (r) { return r.json().catch(function () { return { ok: false, error: "the server answered " + r.status }; }); })
      .then(function (answer) {
        saving = false;
        // Saved but not republished: the edits are in the corrections file, so the page reloads
        // (sending them again would apply them twice) and says what went wrong.
        if (!answer.ok && !answer.saved) { say(answer.error || "not saved", true); return; }
        var note = JSON.stringify({ text: answer.ok ? answer.message : answer.error, error: !answer.ok });
        try { sessionStorage.setItem(STATUS_KEY, note); } catch (err) { /* private mode: no message after reload */ }
        leaving = true;
        window.location.reload();
      })
      .catch(function (err) { saving = false; say("not saved: the editor's server cannot be reached (" + err.message + ")", true); });
  }
  document.getElementById("save").addEventListener("click", save);
  window.addEventListener("beforeunload", function (e) {
    if (!leaving && dirtyCount() !== 0) { e.preventDefault(); e.returnValue = ""; }
  });

  fetch("session.json")
    .then(function (r) { if (!r.ok) { throw new Error("the server answered " + r.status); } return r.json(); })
    .then(function (view) {
      render(view);
      showPending();
      var done = null;
      try { done = sessionStorage.getItem(STATUS_KEY); sessionStorage.removeItem(STATUS_KEY); } catch (err) { done = null; }
      if (done) { done = JSON.parse(done); say(done.text, done.error); }
      document.body.setAttribute("data-ready", "true");
    })
    .catch(function (err) { linesBox.textContent = ""; say("cannot load the session: " + err.message, true); });
})();
