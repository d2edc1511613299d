// Live updates for the events list: poll the admin API and prepend new
// rows. Everything from events is inserted with textContent, never HTML.
(function () {
  var table = document.getElementById("events");
  if (!table) return;
  var tbody = table.querySelector("tbody");
  var params = new URLSearchParams(window.location.search);
  var q = new URLSearchParams();
  ["source", "event"].forEach(function (k) { if (params.get(k)) q.set(k, params.get(k)); });
  q.set("limit", "50");
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function render(events) {
    var seen = {};
    tbody.querySelectorAll("tr[data-id]").forEach(function (tr) { seen[tr.dataset.id] = true; });
    for (var i = events.length - 1; i >= 0; i--) {
      var e = events[i];
      if (seen[e.id]) continue;
      var tr = document.createElement("tr");
      tr.dataset.id = e.id;
      cell(tr, new Date(e.received_at).toLocaleString());
      var td = document.createElement("td");
      td.className = "mono";
      var a = document.createElement("a");
      a.href = "/ui/events/" + encodeURIComponent(e.id);
      a.textContent = e.id.slice(0, 13) + "…";
      td.appendChild(a);
      tr.appendChild(td);
      cell(tr, e.source);
      cell(tr, e.provider);
      cell(tr, e.event, "mono");
      cell(tr, e.delivery_id || "", "mono");
      cell(tr, e.verification);
      cell(tr, (e.matched || []).join(", ") || "—");
      tbody.insertBefore(tr, tbody.firstChild);
      var empty = document.getElementById("no-events");
      if (empty) empty.remove();
    }
  }
  function poll() {
    fetch("/api/events?" + q.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(render)
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 1500);
})();
