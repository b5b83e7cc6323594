// The WebAuthn ceremonies of the reviewer pages: approve a request, review a break-glass grant,
// enrol a key, remove a key.
// Each asks the gateway's JSON API for options, lets the browser talk to the security key, and
// sends the result back. The API speaks snake_case and base64url; WebAuthn wants camelCase and
// bytes, so this file translates both ways and decides nothing: the gateway verifies everything.
"use strict";

(() => {
  const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const status = document.getElementById("ceremony-status");

  class GatewayRefusal extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  const fromBase64URL = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
  };

  const toBase64URL = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
      body: JSON.stringify(body ?? {}),
    });
    const text = await response.text();
    let answer = null;
    try {
      answer = text ? JSON.parse(text) : null;
    } catch {
      answer = null;
    }
    if (!response.ok) {
      throw new GatewayRefusal(answer?.error?.message ?? `the gateway answered ${response.status}`, answer?.error?.code);
    }
    return answer;
  }

  function say(message, kind) {
    if (!status) return;
    status.textContent = message;
    status.dataset.kind = kind;
  }

  function explain(error) {
    if (error instanceof GatewayRefusal) return `Refused: ${error.message}`;
    switch (error?.name) {
      case "NotAllowedError":
        return "The security key was not used: the touch timed out or the browser cancelled the ceremony.";
      case "InvalidStateError":
        return "This security key is already enrolled.";
      case "SecurityError":
        return "The browser refused the ceremony for this address; open the gateway at its public URL.";
      default:
        return `The ceremony failed: ${error?.message ?? error}`;
    }
  }

  const requestOptions = (options) => ({
    challenge: fromBase64URL(options.challenge),
    rpId: options.rp_id,
    allowCredentials: options.allow_credentials.map((credential) => ({ type: credential.type, id: fromBase64URL(credential.id) })),
    userVerification: options.user_verification,
    timeout: options.timeout,
  });

  const assertionBody = (options, credential) => ({
    ceremony_id: options.ceremony_id,
    credential_id: toBase64URL(credential.rawId),
    authenticator_data: toBase64URL(credential.response.authenticatorData),
    client_data_json: toBase64URL(credential.response.clientDataJSON),
    signature: toBase64URL(credential.response.signature),
    ...(credential.response.userHandle ? { user_handle: toBase64URL(credential.response.userHandle) } : {}),
  });

  const creationOptions = (options) => ({
    rp: { id: options.rp.id, name: options.rp.name },
    user: { id: fromBase64URL(options.user.id), name: options.user.name, displayName: options.user.display_name },
    challenge: fromBase64URL(options.challenge),
    pubKeyCredParams: options.pub_key_cred_params.map((parameter) => ({ type: parameter.type, alg: parameter.alg })),
    timeout: options.timeout,
    attestation: options.attestation,
    authenticatorSelection: {
      userVerification: options.authenticator_selection.user_verification,
      residentKey: options.authenticator_selection.resident_key,
    },
    excludeCredentials: options.exclude_credentials.map((credential) => ({ type: credential.type, id: fromBase64URL(credential.id) })),
  });

  async function approve(button) {
    const id = button.dataset.requestId;
    const path = `/v1/requests/${encodeURIComponent(id)}`;
    const options = await post(`${path}/approval-options`);
    say("Touch your security key to approve this exact request.", "waiting");
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    say("Checking the signature…", "waiting");
    await post(`${path}/approve-with-key`, assertionBody(options, credential));
    window.location.assign(`/requests/${encodeURIComponent(id)}?notice=approved`);
  }

  // The key signs the grant with exactly this verdict and these notes: both are read once, before
  // the challenge is asked for, and the same values go with the signature.
  async function review(form) {
    const id = form.dataset.requestId;
    const verdict = form.elements.verdict.value;
    const notes = form.elements.notes.value;
    const path = `/v1/break-glass/${encodeURIComponent(id)}`;
    const options = await post(`${path}/review-challenge`, { verdict, notes });
    say(`Touch your security key to record this grant as ${verdict}.`, "waiting");
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    say("Checking the signature…", "waiting");
    await post(`${path}/review`, { verdict, notes, key_touch: assertionBody(options, credential) });
    window.location.assign(`/requests/${encodeURIComponent(id)}?notice=reviewed`);
  }

  async function enrol(form) {
    const inviteCode = form.elements.invite_code.value.trim();
    const name = form.elements.name.value.trim();
    const options = await post("/v1/keys/registration-options");
    say("Touch your new security key.", "waiting");
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    say("Checking the key…", "waiting");
    await post("/v1/keys", {
      ceremony_id: options.ceremony_id,
      invite_code: inviteCode,
      name,
      credential_id: toBase64URL(credential.rawId),
      attestation_object: toBase64URL(credential.response.attestationObject),
      client_data_json: toBase64URL(credential.response.clientDataJSON),
    });
    window.location.assign("/keys?notice=enrolled");
  }

  async function removeKey(button) {
    const path = `/v1/keys/${encodeURIComponent(button.dataset.credentialId)}`;
    const options = await post(`${path}/removal-options`);
    say("Touch one of your other security keys to confirm the removal.", "waiting");
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    await post(`${path}/remove`, assertionBody(options, credential));
    window.location.assign("/keys?notice=removed");
  }

  // One ceremony at a time: the controls stay disabled until it ends either way.
  async function run(control, ceremony) {
    const controls = document.querySelectorAll("[data-ceremony] button, button[data-ceremony]");
    controls.forEach((element) => { element.disabled = true; });
    try {
      if (!window.PublicKeyCredential) throw new Error("this browser does not support security keys (WebAuthn)");
      await ceremony(control);
    } catch (error) {
      say(explain(error), "refused");
      controls.forEach((element) => { element.disabled = false; });
    }
  }

  for (const button of document.querySelectorAll('button[data-ceremony="approve"]')) {
    button.addEventListener("click", () => run(button, approve));
  }
  for (const button of document.querySelectorAll('button[data-ceremony="remove-key"]')) {
    button.addEventListener("click", () => run(button, removeKey));
  }
  for (const [name, ceremony] of [["enrol", enrol], ["review", review]]) {
    for (const form of document.querySelectorAll(`form[data-ceremony="${name}"]`)) {
      form.hidden = false;
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        run(form, ceremony);
      });
    }
  }
})();
