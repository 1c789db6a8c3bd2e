"use strict";
// Controls of each input's section: the encoder whose grid is laid over its pages, the
// tokenizer that cuts its text, the OCR boxes; and pages that enlarge on a click.
// (SVG elements have no `hidden` property: the attribute is toggled.)
document.querySelectorAll("section.input").forEach(function (section) {
  var grid = section.querySelector("select.overlay-select");
  if (grid) grid.addEventListener("change", function () {
    section.querySelectorAll("svg.overlay").forEach(function (svg) {
      svg.toggleAttribute("hidden", svg.dataset.encoder !== grid.value);
    });
  });
  var tokens = section.querySelector("select.tokenizer-select");
  if (tokens) tokens.addEventListener("change", function () {
    section.querySelectorAll(".token-text").forEach(function (div) {
      div.hidden = div.dataset.tokenizer !== tokens.value;
    });
  });
  var ocr = section.querySelector("input.ocr-toggle");
  if (ocr) ocr.addEventListener("change", function () {
    section.querySelectorAll("svg.ocr-boxes").forEach(function (svg) { svg.toggleAttribute("hidden", !ocr.checked); });
  });
});
// A click on a page shows it at its own size (the same picture: nothing is loaded), grids too.
document.querySelectorAll("img.page-image").forEach(function (img) {
  function zoom() { img.closest(".page-row").classList.toggle("zoomed"); }
  img.addEventListener("click", zoom);
  img.addEventListener("keydown", function (event) {  // the keyboard does what a click does
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); zoom(); }
  });
});
