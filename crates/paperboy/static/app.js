// Progressive enhancement only: every page works without this script.
// Copy buttons: <button data-copy="ID" hidden> copies the text of the element ID.
// Vote forms: <form data-vote> posts in the background and updates its button in place.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copy-status");
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent);
        if (status) status.textContent = "Copied.";
      } catch (error) {
        if (status) status.textContent = "Copying is not allowed here: select the text instead.";
      }
    });
  }
  for (const form of document.querySelectorAll("form[data-vote]")) {
    const up = form.querySelector("input[name=up]");
    const button = form.querySelector("button");
    const label = form.querySelector("[data-vote-label]");
    const count = form.querySelector("[data-vote-count]");
    const status = form.querySelector(".vote-status");
    if (!up || !label || !count) continue;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          headers: { "Accept": "application/json" },
          credentials: "same-origin",
        });
        const answer = await response.json();
        if (!response.ok) {
          status.textContent = answer.error || "The vote did not go through.";
          return;
        }
        count.textContent = answer.upvotes;
        label.textContent = answer.voted ? "Upvoted" : "Upvote";
        button.setAttribute("aria-pressed", String(answer.voted));
        up.value = answer.voted ? "0" : "1";
        status.textContent = answer.voted ? "Your vote is in." : "Your vote is taken back.";
      } catch (error) {
        status.textContent = "The vote did not go through: check your connection and try again.";
      } finally {
        button.disabled = false;
      }
    });
  }
});
