// The one-time link carries its token after "#", which the browser keeps to itself; copy it
// into the form, and take it out of the address bar and the history.
"use strict";
(() => {
  const token = location.hash.slice(1);
  document.getElementById("link-token").value = token;
  history.replaceState(null, "", location.pathname);
  if (!token) say("This address has no sign-in token; open the link you were sent in full.");
})();
