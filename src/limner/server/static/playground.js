// Playground: sends the form to the OpenAI-compatible API with the caller's key and shows the image or the refusal.
// Everything the server returns is written with textContent, never as HTML.
(function () {
  "use strict";
  const form = document.getElementById("playground");
  const keyInput = document.getElementById("api-key");
  const status = document.getElementById("status");
  const output = document.getElementById("output");
  const refusal = document.getElementById("refusal");

  keyInput.value = sessionStorage.getItem("limner-key") || "";

  function showRefusal(error) {
    refusal.hidden = false;
    document.getElementById("refusal-message").textContent = error.message || "refused";
    document.getElementById("refusal-request").textContent = error.request_id || "-";
    const list = document.getElementById("refusal-reasons");
    list.replaceChildren();
    for (const reason of error.reasons || []) {
      const item = document.createElement("li");
      const score = reason.score === null || reason.score === undefined ? "" : " (score " + reason.score.toFixed(2) + ")";
      item.textContent = reason.message + score + " [" + reason.code + "]";
      list.appendChild(item);
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const key = keyInput.value.trim();
    sessionStorage.setItem("limner-key", key);
    const prompt = document.getElementById("prompt").value;
    const profile = document.getElementById("profile").value;
    const files = document.getElementById("upload").files;
    output.hidden = true;
    refusal.hidden = true;
    status.textContent = "Working…";
    let response;
    try {
      if (files.length > 0) {
        const body = new FormData();
        body.append("prompt", prompt);
        body.append("profile", profile);
        const field = files.length === 1 ? "image" : "image[]";
        for (const file of files) body.append(field, file);
        response = await fetch("/v1/images/edits", {method: "POST", headers: {"Authorization": "Bearer " + key}, body: body});
      } else {
        response = await fetch("/v1/images/generations", {
          method: "POST",
          headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
          body: JSON.stringify({prompt: prompt, profile: profile, n: 1, response_format: "b64_json"}),
        });
      }
      const payload = await response.json();
      if (response.ok) {
        output.src = "data:image/" + (payload.output_format || "png") + ";base64," + payload.data[0].b64_json;
        output.hidden = false;
        status.textContent = "Done.";
      } else {
        status.textContent = "HTTP " + response.status;
        showRefusal(payload.error || {message: "request failed"});
      }
    } catch (err) {
      status.textContent = "Request failed: " + err;
    }
  });
})();
