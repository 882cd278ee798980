// Collects what would reach the console as an error, so that a headless
// browser's --dump-dom can show it (`?selftest=…`, see filters.js).
window.conformErrors = [];
window.addEventListener("error", function (e) {
  var where = e.target && e.target !== window && e.target.tagName ? " (" + e.target.tagName + ")" : "";
  window.conformErrors.push(String(e.message || e.type) + where);
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.conformErrors.push("unhandled rejection: " + String(e.reason));
});
document.addEventListener("securitypolicyviolation", function (e) {
  window.conformErrors.push("blocked by the page's policy: " + e.violatedDirective + " " + e.blockedURI);
});
(function () {
  var original = console.error;
  console.error = function () {
    window.conformErrors.push(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
