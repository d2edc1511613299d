// Live updates for the first page of the events list: poll the console's
// rows (formatted by the server, as the page is) and prepend new ones.
// Everything from events is inserted with textContent, never as HTML.
(function () {
  var table = document.getElementById("events");
  if (!table) return;
  var params = new URLSearchParams(window.location.search);
  if (params.get("after")) return; // an older page does not change
  if (params.get("where")) return; // a search is not polled: each costs a scan
  var tbody = table.querySelector("tbody");
  var q = new URLSearchParams();
  ["q", "source", "event", "state", "since", "until"].forEach(function (k) { if (params.get(k)) q.set(k, params.get(k)); });
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function link(parent, href, text, cls, title) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (cls) a.className = cls;
    if (title) a.title = title;
    parent.appendChild(a);
    return a;
  }
  function outcome(tr, runs) {
    var td = cell(tr, "", "outcome");
    if (!runs || runs.length === 0) {
      var none = document.createElement("span");
      none.className = "muted";
      none.textContent = "no match";
      td.appendChild(none);
      return;
    }
    runs.forEach(function (o) {
      var span = document.createElement("span");
      span.className = "run";
      span.appendChild(document.createTextNode(o.rule + " "));
      if (o.run) {
        link(span, "/ui/runs/" + encodeURIComponent(o.run), o.state, "badge s-" + o.state.replace(/[^a-z]/g, ""));
      } else {
        var b = document.createElement("span");
        b.className = "badge";
        b.textContent = o.state;
        span.appendChild(b);
      }
      td.appendChild(span);
      td.appendChild(document.createTextNode(" "));
    });
  }
  function row(e) {
    var tr = document.createElement("tr");
    tr.dataset.id = e.id;
    cell(tr, e.when);
    var td = cell(tr, "", "mono");
    link(td, "/ui/events/" + encodeURIComponent(e.id), e.short, "", e.id);
    cell(tr, e.source);
    cell(tr, e.provider);
    cell(tr, e.event, "mono");
    cell(tr, e.delivery || "", "mono");
    cell(tr, e.verification);
    outcome(tr, e.outcome);
    return tr;
  }
  function render(events) {
    var rows = {};
    tbody.querySelectorAll("tr[data-id]").forEach(function (tr) { rows[tr.dataset.id] = tr; });
    for (var i = events.length - 1; i >= 0; i--) {
      var e = events[i];
      var tr = row(e);
      if (rows[e.id]) {
        rows[e.id].replaceWith(tr); // its runs' states move on
        continue;
      }
      tbody.insertBefore(tr, tbody.firstChild);
      var empty = document.getElementById("no-events");
      if (empty) empty.remove();
    }
  }
  function poll() {
    fetch("/ui/events.json?" + q.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(render)
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 1500);
})();
