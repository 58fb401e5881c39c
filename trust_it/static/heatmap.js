// The standards heatmap: the arrow keys move between its cells (every cell is also a link that Tab
// reaches, so nothing depends on this). Home and End go to the first and last cell of the row.
(function () {
  "use strict";
  var table = document.querySelector("table[data-heatmap]");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  function cellLinks(row) { return Array.prototype.slice.call(row.querySelectorAll("td.hm a")); }
  table.addEventListener("keydown", function (event) {
    var link = event.target.closest("td.hm a");
    if (!link) { return; }
    var row = link.closest("tr");
    var r = rows.indexOf(row);
    var c = cellLinks(row).indexOf(link);
    var next = null;
    if (event.key === "ArrowRight") { next = cellLinks(row)[c + 1]; }
    else if (event.key === "ArrowLeft") { next = cellLinks(row)[c - 1]; }
    else if (event.key === "ArrowDown" && rows[r + 1]) { next = cellLinks(rows[r + 1])[c]; }
    else if (event.key === "ArrowUp" && rows[r - 1]) { next = cellLinks(rows[r - 1])[c]; }
    else if (event.key === "Home") { next = cellLinks(row)[0]; }
    else if (event.key === "End") { var all = cellLinks(row); next = all[all.length - 1]; }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
}());
