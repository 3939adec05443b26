(function () {
  "use strict";
  var input = document.getElementById("q");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tbody tr"));
  var count = document.getElementById("count");
  var strings = JSON.parse(document.getElementById("page-data").textContent).strings;
  function fold(s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  input.addEventListener("input", function () {
    var words = fold(input.value).split(/\s+/).filter(Boolean), shown = 0;
    rows.forEach(function (r) {
      var text = fold(r.textContent);
      r.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      if (!r.hidden) { shown++; }
    });
    count.textContent = words.length ? (shown === 1 ? strings.one : strings.many.replace("{n}", shown)) : "";
  });
})();
