/* Urna: small enhancements; every page works without them. */
(function () {
  "use strict";

  // GOV.UK's error summary: focused when it appears (also after an htmx swap); a link
  // moves focus to its field and shows the field's label (or legend) above it.
  function focusSummary(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary && document.activeElement !== summary) summary.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    var legend = target.closest("fieldset") && target.closest("fieldset").querySelector("legend");
    var label = document.querySelector("label[for='" + target.id + "']") || legend || target;
    label.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });

  // The ballot's sticky summary never hides the focused box: scrolling keeps clear of its
  // height, and a box it still covers is brought to the middle of the screen.
  function summaryHeight() {
    var summary = document.getElementById("summary");
    if (!summary || getComputedStyle(summary).position !== "sticky") return 0;
    var height = summary.getBoundingClientRect().height;
    document.documentElement.style.setProperty("--summary-height", Math.ceil(height + 16) + "px");
    return height;
  }

  document.addEventListener("focusin", function (event) {
    var height = summaryHeight();
    if (!height || event.target.closest("#summary")) return;
    var box = event.target.getBoundingClientRect();
    if (box.bottom > window.innerHeight - height) event.target.scrollIntoView({ block: "center" });
  });

  document.addEventListener("DOMContentLoaded", function () {
    focusSummary(document);
    summaryHeight();
  });
  window.addEventListener("resize", summaryHeight);
  document.addEventListener("htmx:afterSettle", function (event) {
    summaryHeight();
    if (event.target.id !== "summary") focusSummary(event.target);
  });
})();
