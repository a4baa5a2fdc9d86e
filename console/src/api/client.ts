// The API client: typed paths generated from the API's own /openapi.json (src/api/schema.d.ts, made by
// `npm run gen:api` in the console build), so a request to a route or with a parameter the API does not
// have fails the type check. Every failure becomes an ApiError carrying the API's error message.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field?: string; message?: string }[] = [],
    readonly requestId = "",
  ) {
    super(message);
  }
}

let bearer: () => string | null = () => null;
let onUnauthenticated: () => void = () => {};

export function useBearer(getToken: () => string | null, signOut: () => void): void {
  bearer = getToken;
  onUnauthenticated = signOut;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = bearer();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};

let baseUrl = "";
export function setApiBase(url: string): void {
  baseUrl = url.replace(/\/$/, "");
  client = make();
}

function make() {
  const made = createClient<paths>({ baseUrl: baseUrl || window.location.origin });
  made.use(auth);
  return made;
}

let client = make();
export const api = () => client;

// Our error shape; API Gateway (and Chalice's local server) answer a route they do not have with {message}.
type ErrorBody = { error?: { code?: string; message?: string; details?: []; request_id?: string }; message?: string };

/** The body of a successful answer, or throws ApiError with the API's own message. */
export async function ok<T>(
  call: Promise<{ data?: unknown; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: unknown; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (exc) {
    throw new ApiError(0, "network", `The API could not be reached (${String(exc)})`);
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  const body = (error ?? {}) as ErrorBody;
  if (response.status === 401) onUnauthenticated();
  throw new ApiError(
    response.status,
    body.error?.code ?? (body.message ? "no_such_route" : "http_error"),
    // (their message may echo request headers, the token included: never show it)
    body.error?.message ?? (body.message ? `This API has no route for ${new URL(response.url).pathname}`
      : `The API answered ${response.status} ${response.statusText}`),
    body.error?.details ?? [],
    body.error?.request_id ?? "",
  );
}

/** The ETag a versioned resource came with, for If-Match on the next change. */
export function ifMatch(version: number): { "If-Match": string } {
  return { "If-Match": `"${version}"` };
}

export function idempotencyKey(): { "Idempotency-Key": string } {
  return { "Idempotency-Key": crypto.randomUUID() };
}
