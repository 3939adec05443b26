(function () {
  "use strict";
  var audio = document.getElementById("player");
  var caption = document.getElementById("caption");
  var paras = Array.prototype.slice.call(document.querySelectorAll(".para"));
  var chapterLinks = Array.prototype.slice.call(document.querySelectorAll(".chapter-link"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.chapter"));
  var follow = document.getElementById("follow");
  var input = document.getElementById("q");
  var count = document.getElementById("count");
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var strings = data.strings;

  function startOf(el) { return parseFloat(el.getAttribute("data-start")) || 0; }
  var paraStarts = paras.map(startOf);
  var chapterStarts = chapterLinks.map(startOf);

  function seek(t, play) {
    audio.currentTime = t;
    if (play) { var p = audio.play(); if (p && p.catch) { p.catch(function () {}); } }
  }

  function activate(el, play) {
    el.addEventListener("click", function () {
      if (String(window.getSelection ? window.getSelection() : "")) { return; }  // selecting text, not seeking
      seek(startOf(el), play);
    });
    el.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); seek(startOf(el), play); }
    });
  }
  paras.forEach(function (p) { activate(p, true); });
  chapterLinks.forEach(function (c) { activate(c, true); });

  // The last item whose start is at or before t (items are in time order).
  function indexAt(starts, t) {
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  var currentPara = null, currentChapter = null;
  function update() {
    var t = audio.currentTime;
    var p = paras[indexAt(paraStarts, t)] || null;
    if (p !== currentPara) {
      if (currentPara) { currentPara.classList.remove("current"); currentPara.removeAttribute("aria-current"); }
      if (p) {
        p.classList.add("current"); p.setAttribute("aria-current", "true");
        if (follow && follow.checked && !audio.paused && !p.hidden) { p.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
      }
      currentPara = p;
    }
    var c = chapterLinks[indexAt(chapterStarts, t)] || null;
    if (c !== currentChapter) {
      if (currentChapter) { currentChapter.classList.remove("current"); currentChapter.removeAttribute("aria-current"); }
      if (c) { c.classList.add("current"); c.setAttribute("aria-current", "true"); }
      currentChapter = c;
    }
  }
  audio.addEventListener("timeupdate", update);
  audio.addEventListener("seeked", update);

  // Captions: the browser does not draw them for <audio>, so the active cue is shown below the player.
  function showCues(textTrack) {
    textTrack.mode = "hidden";
    textTrack.addEventListener("cuechange", function () {
      var cues = textTrack.activeCues;
      caption.textContent = "";
      for (var i = 0; cues && i < cues.length; i++) {
        var voice = /^<v(?:\.[^\s>]*)?\s+([^>]*)>/.exec(cues[i].text);
        if (voice) {
          var who = document.createElement("span");
          who.className = "who";
          who.textContent = voice[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&") + strings.colon;
          caption.appendChild(who);
        }
        caption.appendChild(document.createTextNode(cues[i].getCueAsHTML().textContent.replace(/\n/g, " ") + " "));
      }
    });
  }
  // Opened from disk (file://), Chromium refuses to load the .vtt: the same cues come from the page.
  var fallbackDone = false;
  function fallbackCaptions() {
    if (fallbackDone || !window.VTTCue) { return; }
    fallbackDone = true;
    track.track.mode = "disabled";
    var own = audio.addTextTrack("captions", track.label, track.srclang);
    data.cues.forEach(function (c) { own.addCue(new VTTCue(c[0], c[1], c[2])); });
    showCues(own);
  }
  var track = audio.querySelector("track[kind=captions]");
  if (track && track.track) {
    showCues(track.track);
    track.addEventListener("error", fallbackCaptions);
    if (track.readyState === 3) { fallbackCaptions(); }
  }

  function seekFromHash() {
    var m = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (m) { seek(parseFloat(m[1]), false); update(); var p = currentPara; if (p) { p.scrollIntoView({ block: "center" }); } }
  }
  window.addEventListener("hashchange", seekFromHash);
  seekFromHash();

  // In-page search: accent- and case-insensitive, every word must appear; matches are marked.
  function fold(s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  function folded(el) {
    if (!el._folded) {
      var text = el.textContent, norm = "", map = [], i = 0;
      for (var ch of text) {
        var f = fold(ch);
        for (var k = 0; k < f.length; k++) { norm += f[k]; map.push(i); }
        i += ch.length;
      }
      map.push(text.length);
      el._original = text; el._folded = { norm: norm, map: map };
    }
    return el._folded;
  }
  function paint(el, ranges) {
    var text = el._original || el.textContent, pos = 0;
    el.textContent = "";
    ranges.sort(function (a, b) { return a[0] - b[0]; }).forEach(function (r) {
      if (r[0] < pos) { return; }
      el.appendChild(document.createTextNode(text.slice(pos, r[0])));
      var m = document.createElement("mark"); m.textContent = text.slice(r[0], r[1]); el.appendChild(m);
      pos = r[1];
    });
    el.appendChild(document.createTextNode(text.slice(pos)));
  }
  function filter() {
    var words = fold(input.value).split(/\s+/).filter(Boolean), shown = 0;
    paras.forEach(function (p) {
      var el = p.querySelector(".text"), f = folded(el), ranges = [], ok = true;
      words.forEach(function (w) {
        var at = f.norm.indexOf(w);
        if (at < 0) { ok = false; return; }
        while (at >= 0) { ranges.push([f.map[at], f.map[at + w.length]]); at = f.norm.indexOf(w, at + w.length); }
      });
      p.hidden = words.length > 0 && !ok;
      paint(el, ok ? ranges : []);
      if (!p.hidden) { shown++; }
    });
    sections.forEach(function (s) { s.hidden = !s.querySelector(".para:not([hidden])") && words.length > 0; });
    count.textContent = words.length ? (shown === 1 ? strings.one : strings.many.replace("{n}", shown)) : "";
  }
  input.addEventListener("input", filter);
  input.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") { return; }
    var visible = paras.filter(function (p) { return !p.hidden; });
    if (visible.length) { e.preventDefault(); visible[0].focus(); visible[0].scrollIntoView({ block: "center" }); }
  });
})();
