// Who is signed in. In AWS: Cognito's Hosted UI, authorization code + PKCE (no client secret in a browser).
// Locally: /local/token, which only `chairside run` serves, mints a token for a demo group, role and locations.
export type ConsoleConfig = {
  mode: "local" | "cognito";
  api_base: string;
  cognito?: { domain: string; client_id: string; redirect_uri: string; scopes?: string };
};

export type Session = { token: string; org: string; role: string; sub: string; locations: string[]; expires: number };

const KEY = "chairside.session";
const PKCE = "chairside.pkce";

function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(decodeURIComponent(escape(json)));
}

export function sessionFrom(token: string): Session {
  const c = claims(token);
  const locations = c.locations ?? c["custom:locations"] ?? ["*"];
  return {
    token,
    org: String(c.org ?? c["custom:org"] ?? ""),
    role: String(c.role ?? c["custom:role"] ?? ""),
    sub: String(c.sub ?? ""),
    locations: Array.isArray(locations) ? locations.map(String) : String(locations).split(","),
    expires: Number(c.exp ?? 0) * 1000,
  };
}

export function loadSession(): Session | null {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  const session = JSON.parse(text) as Session;
  return session.expires > Date.now() ? session : null;
}

export function saveSession(token: string): Session {
  const session = sessionFrom(token);
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  return response.json();
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Sends the browser to Cognito's Hosted UI with a fresh PKCE verifier and state. */
export async function startHostedUi(config: ConsoleConfig): Promise<void> {
  const cognito = config.cognito!;
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({
    response_type: "code", client_id: cognito.client_id, redirect_uri: cognito.redirect_uri,
    scope: cognito.scopes ?? "openid email profile", code_challenge_method: "S256", code_challenge: challenge, state,
  });
  window.location.assign(`https://${cognito.domain}/oauth2/authorize?${params}`);
}

/** On the redirect back (?code=&state=): trades the code for tokens; the ID token carries org, role, locations. */
export async function finishHostedUi(config: ConsoleConfig): Promise<Session | null> {
  const query = new URLSearchParams(window.location.search);
  const code = query.get("code");
  if (!code || !config.cognito) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) ?? "{}");
  sessionStorage.removeItem(PKCE);
  if (saved.state !== query.get("state")) throw new Error("The sign-in answer does not match this browser's request");
  const response = await fetch(`https://${config.cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", client_id: config.cognito.client_id, code,
      redirect_uri: config.cognito.redirect_uri, code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) throw new Error(`Cognito refused the sign-in (${response.status})`);
  const tokens = await response.json();
  window.history.replaceState(null, "", window.location.pathname + window.location.hash);
  return saveSession(tokens.id_token);
}

export function signOutUrl(config: ConsoleConfig): string | null {
  if (config.mode !== "cognito" || !config.cognito) return null;
  const params = new URLSearchParams({ client_id: config.cognito.client_id, logout_uri: config.cognito.redirect_uri });
  return `https://${config.cognito.domain}/logout?${params}`;
}

export type SignInOptions = {
  groups: { org: string; name: string; locations: { id: string; name: string; timezone: string }[] }[];
  roles: string[];
};

export async function localOptions(): Promise<SignInOptions> {
  const response = await fetch("/local/sign-in-options");
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `sign-in options: ${response.status}`);
  return body;
}

export async function localSignIn(org: string, role: string, locations: string[], sub: string): Promise<Session> {
  const response = await fetch("/local/token", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ org, role, locations, sub }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `sign-in: ${response.status}`);
  return saveSession(body.token);
}
