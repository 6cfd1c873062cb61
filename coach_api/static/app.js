// callcoach pages: fetch the API with the bearer token kept in sessionStorage. Each page has
// its own script that calls api(); this one signs in and shows who is signed in.
"use strict";

const API = document.body.dataset.api;
const TOKEN_KEY = "callcoach_token";

function useToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  // Same-site cookie for GET requests the page cannot add headers to (the <audio> element).
  document.cookie = `${TOKEN_KEY}=${encodeURIComponent(token)}; path=${API}; SameSite=Strict`;
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = Object.assign({}, options.headers || {}, token ? {Authorization: `Bearer ${token}`} : {});
  const response = await fetch(API + path, Object.assign({}, options, {headers}));
  if (!response.ok) {
    const body = await response.json().catch(() => ({detail: response.statusText}));
    const error = new Error(typeof body.detail === "string" ? body.detail : response.statusText);
    error.status = response.status;
    throw error;
  }
  return response.json();
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

// Who is signed in (the /me body), or null: each page's script awaits `whoami` before it
// asks the API for anything, so a visitor who is not signed in sends no doomed requests.
async function start() {
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) useToken(stored);
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    useToken(document.getElementById("token").value.trim());
    location.reload();
  });
  if (!stored) { say("Enter your token to start."); return null; }
  try {
    const me = await api("/me");
    document.getElementById("whoami").textContent = `${me.name} (${me.role})`;
    return me;  // each page's own script (call.js, queue.js, library.js) renders it
  } catch (error) {
    say(error.message);
    return null;
  }
}

const whoami = start();
