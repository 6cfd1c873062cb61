// callcoach pages: the helpers every page shares, and the start-up that runs the page's own
// renderer. Pages call the API only through api(): it sends the session cookie (same origin),
// the CSRF token on writes, and goes to the sign-in page when the session has ended.
"use strict";

const API = document.body.dataset.api;
const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || "";
const SAFE_METHODS = ["GET", "HEAD"];
const pageRenderers = {};

// A page script registers its renderer under its template's data-page name.
function registerPage(name, render) { pageRenderers[name] = render; }

// fetch() of the API: `options` as fetch takes them, plus `json` for a JSON body. Resolves to
// the parsed JSON (null for an empty answer); rejects with an Error carrying .status.
async function api(path, options = {}) {
  const {json, ...rest} = options;
  const method = (rest.method || "GET").toUpperCase();
  const headers = Object.assign({Accept: "application/json"}, rest.headers || {});
  if (!SAFE_METHODS.includes(method)) headers["X-CSRF-Token"] = CSRF;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    rest.body = JSON.stringify(json);
  }
  const response = await fetch(API + path, Object.assign({}, rest, {method, headers,
                                                                   credentials: "same-origin"}));
  if (response.status === 401) {
    location.assign(`/ui/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw Object.assign(new Error("Your sign-in has ended; taking you to the sign-in page."),
                        {status: 401});
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({detail: response.statusText}));
    const error = new Error(typeof body.detail === "string" ? body.detail : problemWords(response.status));
    error.status = response.status;
    throw error;
  }
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// What a failed request means, in words, for pages that show it.
function problemWords(status) {
  if (status === 403) return "Your role may not see this.";
  if (status === 404) return "There is no such item, or it is not one you may see.";
  if (status === 429) return "Too many attempts; wait a little and try again.";
  if (status >= 500) return "The server could not answer. Try again; if it keeps failing, tell your admin.";
  return "The request was refused.";
}

// Replace the page's content with a clear message (not found, not allowed, failed).
function showProblem(error) {
  const main = document.getElementById("main");
  const heading = main.querySelector("h1");
  const title = {403: "Not allowed", 404: "Not found"}[error.status] || "Cannot show this";
  heading.textContent = title;
  document.title = `${title} · callcoach`;
  main.replaceChildren(heading, el("div", {className: "problem", role: "alert"},
    el("p", {}, error.message || problemWords(error.status))),
    el("p", {}, el("a", {href: document.querySelector(".brand")?.getAttribute("href") || "/ui/"},
                   "Go to your home page")));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function say(message) { document.getElementById("status").textContent = message; }

function formQuery(form) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (value) params.set(key, value);
  return params.toString();
}

// Each page's own script (call.js, queue.js, library.js, agent.js) registers its renderer.

async function start() {
  const render = pageRenderers[document.body.dataset.page];
  if (!render) return;
  try {
    await render();
  } catch (error) {
    if (error.status === 401) return;  // on the way to the sign-in page
    if (error.status === 403 || error.status === 404) showProblem(error);
    else say(error.message);
  }
}

// After every script of the page has run, so each has registered its renderer.
document.addEventListener("DOMContentLoaded", start);
