// The agent page: acknowledge or answer a review (the rest of the page is rendered on the
// server). After a write the page reloads, so the thread shows what is stored.
"use strict";

function replyPath(thread) {
  const call = encodeURIComponent(thread.dataset.callId);
  return `/calls/${call}/review/${thread.dataset.reviewId}/replies`;
}

async function sendReply(thread, body, control) {
  control.disabled = true;
  try {
    await api(replyPath(thread), {method: "POST", json: body});
    location.reload();
  } catch (error) {
    control.disabled = false;
    say(error.message);
  }
}

registerPage("agent", async () => {
  for (const thread of document.querySelectorAll(".thread")) {
    const acknowledge = thread.querySelector(".acknowledge");
    if (acknowledge) {
      acknowledge.addEventListener("click", () =>
        sendReply(thread, {kind: "acknowledged"}, acknowledge));
    }
    const form = thread.querySelector(".reply-form");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        sendReply(thread, {kind: "reply", note: form.note.value},
                  form.querySelector("button"));
      });
    }
  }
});
