/* "Copy" buttons of the tracked links: progressive enhancement. Without this file the
   text stays visible and selectable in its read-only field; with it, a button appears
   and says what happened in a polite live region. */
(function () {
  "use strict";
  function announce(status, text) {
    // Empty first, so that the same message twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }
  function copy(source) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(source.value);
    }
    return new Promise(function (resolve, reject) {
      source.focus();
      source.select();
      try {
        if (document.execCommand("copy")) { resolve(); } else { reject(); }
      } catch (error) { reject(error); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (block) {
      var source = block.querySelector("[data-copy-source]");
      var button = block.querySelector("[data-copy-button]");
      var status = block.querySelector("[data-copy-status]");
      if (!source || !button || !status) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(source).then(
          function () { announce(status, status.dataset.copied); },
          function () {
            source.focus();
            source.select();
            announce(status, status.dataset.failed);
          }
        );
      });
    });
  });
})();
