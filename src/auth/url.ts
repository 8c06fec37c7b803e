/**
 * @module auth/url
 * URL parsing shared by the trust file schema and the FHIR server allowlist. Everything is compared
 * as parsed WHATWG URLs (scheme, host, port, path), never as raw strings, so case, default ports and
 * dot segments cannot be used to slip past a prefix check.
 */
import { trimTrailingSlashes } from '../text/index'

/** Parses an absolute http(s) URL without credentials or fragment; undefined when it is not one. */
export function parseHttpUrl(value: string): URL | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  // Userinfo and fragments have no place in a server or key URL and make comparisons ambiguous.
  if (url.username || url.password || url.hash || value.includes('#')) return undefined
  return url
}

/** True for hosts that can only be reached from this machine (plain http is tolerated there). */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname)
  )
}

/** A FHIR base URL from the trust file, ready for prefix comparison. */
export interface FhirServerBase {
  protocol: string
  hostname: string
  /** '' for the scheme's default port, '*' for any port (written `http://localhost:*`). */
  port: string
  /** Path without trailing slash; '' for the whole origin. */
  path: string
}

// `scheme://host:*` opts in to any port explicitly; a bare host means the default port only.
const ANY_PORT = /^(https?:\/\/[^/?#@:]+):\*(?=$|\/)/i

/**
 * Parses a trust-file `fhirServers` entry: an absolute http(s) URL without query, fragment or
 * credentials; the port may be `*` (any port, meant for local development).
 * @returns the parsed base, or a message saying what is wrong with it
 */
export function parseFhirServerBase(entry: string): FhirServerBase | string {
  const anyPort = ANY_PORT.test(entry)
  const url = parseHttpUrl(anyPort ? entry.replace(ANY_PORT, '$1') : entry)
  if (!url) return 'must be an absolute http(s) URL without credentials or fragment'
  if (url.search || entry.includes('?')) return 'must not contain a query string'
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    port: anyPort ? '*' : url.port,
    path: trimTrailingSlashes(url.pathname),
  }
}

/**
 * The FHIR servers a client may name, parsed once when the trust file is loaded: `'any'` (dev mode
 * only) or the parsed bases. Entries that do not parse are left out (the trust schema rejects them).
 */
export type FhirAllowlist = 'any' | readonly FhirServerBase[]

/**
 * Parses trust-file `fhirServers` entries into a {@link FhirAllowlist}.
 * @example parseFhirAllowlist(issuer.fhirServers)
 */
export function parseFhirAllowlist(entries: readonly string[]): FhirAllowlist {
  return entries.flatMap((entry) => {
    const base = parseFhirServerBase(entry)
    return typeof base === 'string' ? [] : [base]
  })
}
