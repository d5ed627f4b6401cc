// Path routing under the console's base (/admin/): history API, no reloads.
import { signal } from "./state.js";

const BASE = import.meta.env.BASE_URL.replace(/\/$/, "");
export const location$ = signal(currentPath());

function currentPath() {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return (path || "/") + location.search;
}

export function href(path) {
  return `${BASE}${path}`;
}

export function navigate(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", href(path));
  location$.value = currentPath();
  window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => {
  location$.value = currentPath();
});

// Match "/activities/:id" against a path; returns the parameters or null.
export function match(pattern, path) {
  const [pathname] = path.split("?");
  const a = pattern.split("/").filter(Boolean);
  const b = pathname.split("/").filter(Boolean);
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(":")) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

export function queryParams() {
  return new URLSearchParams(location$.value.split("?")[1] || "");
}
