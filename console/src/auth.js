// Sign-in: the staff pool's hosted sign-in (authorization code + PKCE) in AWS, the local token
// route on the local stack. Tokens live only in this module's memory: a reload signs in again
// (the hosted sign-in keeps its own session, so that is one redirect, not a password).
import { signal } from "./state.js";
import { config } from "./config.js";
import { ApiError } from "./errors.js";

export const session = signal(null);
let refreshTimer = null;

function decodeClaims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = decodeURIComponent(
    Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
  );
  return JSON.parse(json);
}

// The role the API derives from the claims (furusato.api.auth), read the same way here.
export function principalOf(claims) {
  const groups = claims["cognito:groups"] || [];
  const list = Array.isArray(groups) ? groups : String(groups).split(",");
  if (list.includes("operator")) return { role: "operator", sub: claims.sub };
  return {
    role: "staff",
    sub: claims.sub,
    lg_code: claims["custom:lg_code"],
    staff_role: claims["custom:staff_role"],
    org_id: claims["custom:org_id"] || null,
    email: claims.email || claims["cognito:username"] || claims.sub,
  };
}

function start(token, expiresAt, renew, extra = {}) {
  const claims = decodeClaims(token);
  session.value = { token, expiresAt, principal: principalOf(claims), ...extra };
  clearTimeout(refreshTimer);
  // Renew five minutes before expiry, so a long day at the venue never drops the session.
  const wait = Math.max(10_000, expiresAt - Date.now() - 5 * 60_000);
  refreshTimer = setTimeout(() => renew().catch(() => signOut()), wait);
}

// --- local stack -------------------------------------------------------------------------

export async function signInLocal({ lg_code, staff_role, org_id, operator }) {
  const body = operator
    ? { sub: "console-operator", role: "operator" }
    : {
        sub: `console-${lg_code}-${staff_role}${org_id ? "-" + org_id : ""}`,
        role: "staff",
        lg_code,
        staff_role,
        ...(staff_role === "org" ? { org_id } : {}),
      };
  const response = await fetch(`${config().api_url}/local/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const e = data.error || {};
    throw new ApiError(response.status, e.code || "INTERNAL", e.message || "", e.details);
  }
  const expiresAt = data.expires_at ? Date.parse(data.expires_at) : Date.now() + 3600_000;
  start(data.token, expiresAt, () => signInLocal({ lg_code, staff_role, org_id, operator }));
}

// --- hosted sign-in (Cognito) ------------------------------------------------------------

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function redirectUri() {
  return `${location.origin}${import.meta.env.BASE_URL}callback`;
}

export async function startHostedSignIn(returnTo) {
  const c = config();
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  // Only the one-time verifier and state cross the redirect (sessionStorage); never a token.
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state, returnTo }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: c.client_id,
    redirect_uri: redirectUri(),
    scope: "openid email profile aws.cognito.signin.user.admin",
    state,
    code_challenge_method: "S256",
    code_challenge: challenge,
  });
  location.assign(`${c.auth_domain}/oauth2/authorize?${query}`);
}

async function tokenRequest(params) {
  const c = config();
  const response = await fetch(`${c.auth_domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: c.client_id, ...params }),
  });
  if (!response.ok) throw new Error("token exchange failed");
  return response.json();
}

function startFromTokens(data, refreshToken) {
  const refresh = refreshToken || data.refresh_token;
  start(data.id_token, Date.now() + data.expires_in * 1000, async () => {
    startFromTokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: refresh }), refresh);
  });
}

export async function completeHostedSignIn(search) {
  const params = new URLSearchParams(search);
  const saved = JSON.parse(sessionStorage.getItem("pkce") || "null");
  sessionStorage.removeItem("pkce");
  if (!saved || params.get("state") !== saved.state || !params.get("code")) {
    throw new Error("サインインの応答が正しくありません。もう一度サインインしてください。");
  }
  const data = await tokenRequest({
    grant_type: "authorization_code",
    code: params.get("code"),
    redirect_uri: redirectUri(),
    code_verifier: saved.verifier,
  });
  startFromTokens(data);
  return saved.returnTo || import.meta.env.BASE_URL;
}

export function signOut() {
  clearTimeout(refreshTimer);
  session.value = null;
  const c = config();
  if (c && c.auth === "cognito") {
    const query = new URLSearchParams({
      client_id: c.client_id,
      logout_uri: `${location.origin}${import.meta.env.BASE_URL}`,
    });
    location.assign(`${c.auth_domain}/logout?${query}`);
  }
}
