// A "copy" button for text on the page (the resume link of a saved reply):
// <button hidden data-copy="ID" data-copied="…" data-failed="…"> copies the text of
// element ID and says how it went in the role="status" element beside it, which screen
// readers read out. Without JavaScript the button stays hidden and the text is selected
// and copied by hand.
(function () {
  "use strict";
  function select(source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  function copy(source) {
    var text = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // No Clipboard API (a page served over plain http): copy the selection instead,
    // which browsers allow from a click.
    select(source);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector("[role=status]");
    if (!source || !status) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      copy(source).then(
        function () { status.textContent = button.getAttribute("data-copied"); },
        function () {
          select(source);  // ready for Ctrl+C, or the phone's own "Copy"
          status.textContent = button.getAttribute("data-failed");
        }
      );
    });
  });
})();
