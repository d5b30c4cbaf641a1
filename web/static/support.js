// The support page: a "Copy reply" button beside each reply, shown only when script runs
// (without it the reply is still a read-only text area to select by hand).
(function () {
  "use strict";

  function copy(button) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) {
      return;
    }
    const label = button.textContent;
    const done = function () {
      button.textContent = "Copied";
      button.classList.add("copied");
      setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 2000);
    };
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (document.execCommand("copy")) {
          done();
        }
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  }

  document.querySelectorAll("button.copy-reply").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
  });
})();
