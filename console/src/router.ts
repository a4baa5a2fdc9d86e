// Hash routes (#/plans/pln_...?tab=...): every screen has a URL, and static hosting needs no rewrites.
import { useEffect, useState } from "preact/hooks";

export type Route = { path: string[]; query: URLSearchParams };

function current(): Route {
  const hash = window.location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = hash.split("?");
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const changed = () => setRoute(current());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export function href(path: string, query: Record<string, string | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const text = params.toString();
  return `#/${path}${text ? `?${text}` : ""}`;
}

export function go(path: string, query: Record<string, string | undefined | null> = {}): void {
  window.location.hash = href(path, query);
}
