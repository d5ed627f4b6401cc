// The one way pages talk to the API: bearer token, JSON, errors as ApiError (Japanese).
import { session, signOut } from "./auth.js";
import { config } from "./config.js";
import { ApiError } from "./errors.js";

export const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

export async function request(method, path, { body, query, accept, idempotencyKey } = {}) {
  const s = session.value;
  const headers = { Accept: accept || "application/json" };
  if (s) headers.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const qs = query
    ? "?" +
      new URLSearchParams(
        Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ""),
      ).toString()
    : "";
  let response;
  try {
    response = await fetch(`${config().api_url}${path}${qs === "?" ? "" : qs}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "NETWORK", "", {});
  }
  if (response.status === 401) {
    signOut();
  }
  if (!response.ok) {
    let error = {};
    try {
      error = (await response.json()).error || {};
    } catch {
      error = {};
    }
    throw new ApiError(response.status, error.code || "INTERNAL", error.message || "", error.details);
  }
  if (accept && accept !== "application/json") return response.blob();
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, body, opts = {}) => request("POST", path, { body, ...opts }),
  create: (path, body) => request("POST", path, { body, idempotencyKey: newKey() }),
  put: (path, body) => request("PUT", path, { body }),
  patch: (path, body) => request("PATCH", path, { body }),
  del: (path) => request("DELETE", path),
};

// A staff route of the signed-in government.
export function lg(path = "") {
  return `/v1/admin/lgs/${session.value.principal.lg_code}${path}`;
}

// Save a file the API returns (poster, roster, template) through a temporary object URL.
export async function download(path, filename, accept, query) {
  const blob = await request("GET", path, { accept, query });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function nonce() {
  return base64Random(18);
}

function base64Random(n) {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(n))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
