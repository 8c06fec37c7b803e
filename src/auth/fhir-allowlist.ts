/**
 * @module auth/fhir-allowlist
 * Decides whether the service may call the `fhirServer` a client names. Without this check any
 * client could point the service (and the client's access token) at a host of its choosing.
 */
import { trimTrailingSlashes } from '../text/index'
import { isPlainPath } from '../fhir/url-path'
import { parseHttpUrl, type FhirServerBase } from './url'
import type { Caller } from './verify'

function within(base: FhirServerBase, target: URL): boolean {
  if (base.protocol !== target.protocol || base.hostname !== target.hostname) return false
  if (base.port !== '*' && base.port !== target.port) return false
  const path = target.pathname
  // A path boundary: /r4 admits /r4 and /r4/..., never /r4evil.
  return base.path === '' || path === base.path || path.startsWith(`${base.path}/`)
}

/**
 * The normalised form of `fhirServer` (WHATWG-parsed, no trailing slash) when it lies under one of
 * the caller's allowed FHIR base URLs (parsed once with the trust file), compared as parsed URLs (scheme, host, port, path prefix at
 * a segment boundary); undefined otherwise. The dev-mode allowlist `'any'` allows any http(s) URL. URLs
 * with credentials, a query or a fragment are never allowed, nor paths that are not plain as
 * written (src/fhir/url-path.ts: no dot segment, encoded separator or `;`, the same check as every
 * FHIR read): the URL parser leaves `..%2f` and `..;` alone, but many servers decode or strip them
 * and climb out of the prefix. Callers send requests to the returned form, which is the one that
 * was checked.
 * @example const base = allowedFhirBase(caller, request.fhirServer)
 */
export function allowedFhirBase(caller: Caller, fhirServer: string): string | undefined {
  const target = parseHttpUrl(fhirServer)
  if (!target || target.search || fhirServer.includes('?')) return undefined
  if (!isPlainPath(fhirServer)) return undefined
  const allowlist = caller.fhirAllowlist
  const allowed = allowlist === 'any' || allowlist.some((base) => within(base, target))
  return allowed ? `${target.origin}${trimTrailingSlashes(target.pathname)}` : undefined
}

/**
 * True when `fhirServer` lies under one of the caller's allowed FHIR base URLs
 * (see {@link allowedFhirBase}).
 * @example isFhirServerAllowed(caller, request.fhirServer)
 */
export function isFhirServerAllowed(caller: Caller, fhirServer: string): boolean {
  return allowedFhirBase(caller, fhirServer) !== undefined
}
