// Writes the page's Content-Security-Policy before anything else loads: the page may connect to
// its own origin and to the origin of the model URL the user chose (remembered in
// localStorage), and nowhere else. A policy can only tighten after this point, so choosing a
// new model host reloads the page (see app.js).
(function () {
  var extra = "";
  try {
    var saved = localStorage.getItem("webtune.modelBase");
    if (saved) {
      var u = new URL(saved, location.href);
      if (u.origin !== location.origin && (u.protocol === "https:" || u.hostname === "127.0.0.1" || u.hostname === "localhost")) {
        extra = " " + u.origin;
      }
    }
  } catch (e) { /* a bad saved value leaves the policy at its strictest */ }
  var meta = document.createElement("meta");
  meta.httpEquiv = "Content-Security-Policy";
  meta.content = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
    "connect-src 'self'" + extra + "; worker-src 'self'; font-src 'none'; object-src 'none'; " +
    "base-uri 'none'; form-action 'none'";
  document.head.appendChild(meta);
})();
