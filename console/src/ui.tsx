// Small pieces every screen shares: loading/empty/error states and labelled form controls.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api/client";

export type Load<T> =
  | { state: "loading" }
  | { state: "error"; error: ApiError }
  | { state: "ok"; data: T };

function asApiError(exc: unknown): ApiError {
  return exc instanceof ApiError ? exc : new ApiError(0, "client_error", String(exc));
}

/** Runs `fetcher` whenever `deps` change; `reload()` runs it again. Late answers of old runs are dropped. */
export function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  useEffect(() => {
    const mine = ++run.current;
    setLoad({ state: "loading" });
    fetcher().then(
      (data) => mine === run.current && setLoad({ state: "ok", data }),
      (exc) => mine === run.current && setLoad({ state: "error", error: asApiError(exc) }),
    );
  }, [...deps, tick]);
  return [load, useCallback(() => setTick((t) => t + 1), [])];
}

/** A button's action: busy while it runs, its error shown next to it. */
export function useAction(): [boolean, ApiError | null, (work: () => Promise<unknown>) => Promise<boolean>] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (exc) {
      setError(asApiError(exc));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return [busy, error, run];
}

export function ErrorNote({ error, what }: { error: ApiError; what?: string }) {
  return (
    <div class="note error" role="alert">
      <strong>{what ? `${what}: ` : ""}{error.message}</strong>
      {error.details.length > 0 && (
        <ul>{error.details.map((d, i) => <li key={i}>{[d.field, d.message].filter(Boolean).join(": ")}</li>)}</ul>
      )}
      {error.status > 0 && <span class="muted"> ({error.status} {error.code})</span>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="loading" role="status" aria-live="polite">Loading {what}…</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Loading, error (with the API's message) or the content. */
export function Show<T>({ load, what, children }: {
  load: Load<T>; what: string; children: (data: T) => ComponentChildren;
}) {
  if (load.state === "loading") return <Loading what={what} />;
  if (load.state === "error") return <ErrorNote error={load.error} what={`Could not load ${what}`} />;
  return <>{children(load.data)}</>;
}

let fieldIds = 0;
export function useFieldId(prefix: string): string {
  const ref = useRef<string>();
  if (!ref.current) ref.current = `${prefix}-${++fieldIds}`;
  return ref.current;
}

export function Field({ label, children, hint }: {
  label: string; hint?: string; children: (id: string) => ComponentChildren;
}) {
  const id = useFieldId("f");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children(id)}
      {hint && <small class="muted">{hint}</small>}
    </div>
  );
}

export function Section({ title, children, actions, wide }: {
  title: string; children: ComponentChildren; actions?: ComponentChildren; wide?: boolean;
}) {
  const id = useFieldId("s");
  return (
    <section class={wide ? "card wide" : "card"} aria-labelledby={id}>
      <div class="card-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Status({ value }: { value: string }) {
  return <span class={`badge badge-${value}`}>{value.replace(/_/g, " ")}</span>;
}
