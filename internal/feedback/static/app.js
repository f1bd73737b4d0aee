// Keyboard shortcuts of the annotation page; the page works without them.
// 1/a: A better, 2/b: B better, 3/t: tie, 4/x: both bad, h: harmful,
// c: comment, r: first rating, s: skip, Enter: submit (Ctrl+Enter in the comment).
document.addEventListener("keydown", function (e) {
  var form = document.getElementById("label-form");
  if (!form) return;
  var t = e.target;
  var tag = t && t.tagName;
  if (tag === "TEXTAREA" || (tag === "INPUT" && t.type === "text")) {
    if (e.key === "Escape") t.blur();
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    return;
  }
  if (tag === "SELECT" && e.key !== "Enter") return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  var prefs = { "1": "A", a: "A", "2": "B", b: "B", "3": "tie", t: "tie", "4": "bad", x: "bad" };
  var p = prefs[e.key];
  if (p) {
    var el = document.getElementById("pref-" + p);
    el.checked = true;
    el.focus();
    e.preventDefault();
  } else if (e.key === "h") {
    var h = document.getElementById("harmful");
    h.checked = !h.checked;
    e.preventDefault();
  } else if (e.key === "c") {
    document.getElementById("comment").focus();
    e.preventDefault();
  } else if (e.key === "r") {
    document.querySelector("select").focus();
    e.preventDefault();
  } else if (e.key === "s") {
    document.getElementById("skip-form").requestSubmit();
    e.preventDefault();
  } else if (e.key === "Enter" && tag !== "BUTTON") {
    e.preventDefault();
    form.requestSubmit();
  }
});
