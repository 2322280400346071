/**
 * Request guards of the dashboard, applied to every request before its route: the Host
 * header must name this server (a DNS-rebinding page on another name cannot read or drive
 * it), and a state-changing request (POST, PUT, DELETE) must come from the dashboard's own
 * origin (no cross-site form posts) with the content type its route accepts.
 * @module
 */

/** An error with the HTTP status to answer (4xx) and a message naming the fix. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "HttpError";
  }
}

/** Host names every server accepts: this machine's loopback names. */
const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

/** The host name of a Host header value (lower case, IPv6 in brackets, no port). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.replace(/:\d*$/, "");
}

/** True for an IPv4 literal or a bracketed IPv6 literal (names DNS cannot rebind). */
function _isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[0-9a-f:.]+\]$/.test(name);
}

/**
 * Checks the request's Host: accepted are the loopback names, any IP literal (a rebinding
 * attack needs a DNS name), and the names in `allowedHosts` (the bind host, `--allow-host`).
 * @throws HttpError 403 naming the host and the fix
 */
export function checkHost(req: Request, allowedHosts: readonly string[]): void {
  const host = req.headers.get("host") ?? new URL(req.url).host;
  const name = hostName(host);
  const allowed = [...LOOPBACK, ...allowedHosts.map((h) => hostName(h))];
  if (_isIpLiteral(name) || allowed.includes(name)) return;
  throw new HttpError(
    403,
    `Host ${JSON.stringify(host.slice(0, 100))} is not served here: open the dashboard as ` +
      `http://127.0.0.1:PORT/ (or by IP address), or start it with --allow-host ${
        name.slice(0, 100) || "NAME"
      }`,
  );
}

/**
 * Checks that a state-changing request comes from this origin: an `Origin` header, when
 * present, must name the same host and port as the `Host` header (browsers send it on every
 * cross-site POST, form posts included).
 * @throws HttpError 403
 */
export function checkOrigin(req: Request): void {
  const origin = req.headers.get("origin");
  if (origin === null) return;
  const host = (req.headers.get("host") ?? new URL(req.url).host).toLowerCase();
  let from: string | null = null;
  try {
    from = origin === "null" ? null : new URL(origin).host.toLowerCase();
  } catch { /* unparsable: refused below */ }
  if (from === host) return;
  throw new HttpError(
    403,
    `Cross-site request refused: Origin ${
      JSON.stringify(origin.slice(0, 100))
    } is not this dashboard (${host}); use the dashboard's own pages or call the API without an Origin header`,
  );
}

/** Methods that change state on the server. */
export const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The request's media type when it is one of `accepted` (e.g. "application/json",
 * "multipart/form-data").
 * @throws HttpError 415 naming the content types the route takes
 */
export function requireContentType(req: Request, accepted: readonly string[]): string {
  const raw = req.headers.get("content-type") ?? "";
  const type = raw.split(";")[0]!.trim().toLowerCase();
  if (accepted.includes(type)) return type;
  throw new HttpError(
    415,
    `Unsupported content-type ${JSON.stringify(raw.slice(0, 100) || "(none)")}: send ${
      accepted.join(" or ")
    }`,
  );
}
