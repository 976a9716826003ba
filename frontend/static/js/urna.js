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

  document.addEventListener("DOMContentLoaded", function () { focusSummary(document); });
  document.addEventListener("htmx:afterSettle", function (event) { focusSummary(event.target); });
})();
