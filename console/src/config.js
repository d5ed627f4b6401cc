// The console's configuration comes from config.json beside index.html: written by the deployment
// (API URL, user pool, client, hosted sign-in domain) or served by the local stack. Never built in.
let loaded = null;

export async function loadConfig() {
  if (loaded) return loaded;
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-store" });
  if (!response.ok) throw new Error("config.json missing");
  loaded = await response.json();
  loaded.api_url = (loaded.api_url || "").replace(/\/$/, "");
  return loaded;
}

export function config() {
  return loaded;
}
