// parley: security key (WebAuthn) registration and sign-in. The only script of the staff
// pages, loaded from this origin (the Content-Security-Policy allows nothing inline).
"use strict";
(function () {
  function enc(buf) {
    const b = new Uint8Array(buf);
    let s = "";
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function dec(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function status(msg) {
    const el = document.getElementById("key-status");
    if (el) el.textContent = msg;
  }
  async function post(url, body, csrf) {
    const headers = { "Content-Type": "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const r = await fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin" });
    const j = r.status === 204 ? {} : await r.json();
    if (!r.ok) throw new Error(j.error ? j.error.message : r.statusText);
    return j;
  }
  function credentialJSON(c) {
    const r = c.response;
    const out = { id: c.id, rawId: enc(c.rawId), type: c.type, response: { clientDataJSON: enc(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = enc(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    }
    if (r.authenticatorData) {
      out.response.authenticatorData = enc(r.authenticatorData);
      out.response.signature = enc(r.signature);
      if (r.userHandle) out.response.userHandle = enc(r.userHandle);
    }
    return out;
  }
  async function addKey(btn) {
    const csrf = btn.dataset.csrf;
    status("Touch your security key…");
    const begin = await post("/api/v1/keys/register", {}, csrf);
    const pk = begin.options.publicKey;
    pk.challenge = dec(pk.challenge);
    pk.user.id = dec(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = dec(c.id); });
    const cred = await navigator.credentials.create({ publicKey: pk });
    await post("/api/v1/keys/register/" + encodeURIComponent(begin.ceremony), credentialJSON(cred), csrf);
    status("Security key added. Every session of your account has ended: sign in again.");
    const a = document.createElement("a");
    a.href = "/signin";
    a.id = "signin-again";
    a.textContent = "Sign in";
    btn.replaceWith(a);
  }
  async function keySignIn() {
    const name = document.getElementById("name").value;
    const password = document.getElementById("password").value;
    status("Touch your security key…");
    const begin = await post("/api/v1/session/key", { name: name, password: password });
    const pk = begin.options.publicKey;
    pk.challenge = dec(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = dec(c.id); });
    const cred = await navigator.credentials.get({ publicKey: pk });
    await post("/api/v1/session/key/" + encodeURIComponent(begin.ceremony), credentialJSON(cred));
    window.location.assign("/");
  }
  function wire(id, fn) {
    const el = document.getElementById(id);
    if (!el) return;
    el.addEventListener("click", function () {
      fn(el).catch(function (e) { status("Refused: " + e.message); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    wire("add-key", addKey);
    wire("key-signin", keySignIn);
  });
})();
