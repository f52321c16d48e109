// The admin pages' copy buttons: each copies the value of the read-only input
// it names. Without this script the buttons stay hidden and the values can
// still be selected and copied by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var copied = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(copied, function () { input.select(); });
    } else {
      input.select();
      if (document.execCommand("copy")) copied();
    }
  });
});
