// Touchpoint passkeys: <form data-passkey="create|get" data-passkey-begin=URL>.
// On submit: post the form to URL for {ceremony, publicKey}, ask the browser
// (navigator.credentials.create or .get), put the ceremony's id and the
// answer (JSON, binary as base64url) in the form's hidden fields and submit
// it for real; the server answers with a page like any form.
(() => {
  "use strict";

  const fromB64 = (text) => {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64 = (buffer) => {
    let raw = "";
    for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: fromB64(c.id) }));

  const ask = {
    async create(options) {
      const o = options.publicKey;
      o.challenge = fromB64(o.challenge);
      o.user.id = fromB64(o.user.id);
      o.excludeCredentials = withIds(o.excludeCredentials);
      const c = await navigator.credentials.create({ publicKey: o });
      return {
        id: c.id, rawId: toB64(c.rawId), type: c.type,
        extensions: c.getClientExtensionResults(),
        response: {
          attestationObject: toB64(c.response.attestationObject),
          clientDataJSON: toB64(c.response.clientDataJSON),
          transports: c.response.getTransports ? c.response.getTransports() : undefined,
        },
      };
    },
    async get(options) {
      const o = options.publicKey;
      o.challenge = fromB64(o.challenge);
      o.allowCredentials = withIds(o.allowCredentials);
      const c = await navigator.credentials.get({ publicKey: o });
      const r = c.response;
      return {
        id: c.id, rawId: toB64(c.rawId), type: c.type,
        extensions: c.getClientExtensionResults(),
        response: {
          authenticatorData: toB64(r.authenticatorData),
          clientDataJSON: toB64(r.clientDataJSON),
          signature: toB64(r.signature),
          userHandle: r.userHandle ? toB64(r.userHandle) : null,
        },
      };
    },
  };

  const say = (form, text) => {
    const p = form.querySelector(".passkey-problem");
    if (!p) return;
    p.textContent = text;
    p.hidden = !text;
  };

  // A refused request answers an error page: show its message.
  const refusal = async (response) => {
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const message = page.querySelector("main .error")?.textContent.trim();
    return message || `The request failed (${response.status}). Reload the page and try again.`;
  };

  const forms = document.querySelectorAll("form[data-passkey]");
  if (!window.PublicKeyCredential || !navigator.credentials) {
    for (const form of forms) {
      for (const b of form.querySelectorAll("button")) b.disabled = true;
      say(form, "This browser can't use passkeys here (they need HTTPS, or localhost).");
    }
    return;
  }

  for (const form of forms) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      say(form, "");
      try {
        const fields = new FormData(form);
        fields.delete("ceremony");
        fields.delete("credential");
        const response = await fetch(form.dataset.passkeyBegin, {
          method: "POST", body: new URLSearchParams(fields), credentials: "same-origin",
          cache: "no-store", headers: { accept: "application/json" },
        });
        if (!response.ok) throw new Error(await refusal(response));
        const started = await response.json();
        const answer = await ask[form.dataset.passkey](started);
        form.elements.ceremony.value = started.ceremony;
        form.elements.credential.value = JSON.stringify(answer);
        form.submit(); // no submit event: straight to the server
      } catch (e) {
        if (button) button.disabled = false;
        say(form, e instanceof DOMException
          ? (e.name === "NotAllowedError" ? "No passkey was used (cancelled, timed out, or none for this site)."
            : e.name === "InvalidStateError" ? "This device already has a passkey for your account."
              : `The browser refused: ${e.message}`)
          : e.message);
      }
    });
  }
})();
