/**
 * @module fhir/url-path
 * The one check of a URL path the service sends the user's FHIR token to: the client's
 * `fhirServer`, every relative read and every paging `next` link. A path is checked as written,
 * before any URL parser sees it, because the parser and the server disagree about it: the WHATWG
 * parser resolves `..` and `%2e%2e` and turns `\` into `/` (so a prefix check of the parsed path
 * is checked on a path the server never receives), and leaves `..%2f`, `..%5c` and `..;` alone,
 * which many servers decode or strip (Tomcat and Jetty read `..;/` as `../`) and so climb out of
 * the FHIR base with the token. FHIR paths need none of these: ids are `[A-Za-z0-9\-.]`, paging
 * state goes in the query.
 */

/** `\`, `#` and `;` anywhere; `%2f` `%5c` `%2e` `%3b` and `%25` (double encoding), any case. */
const FORBIDDEN = /[\\#;]|%(?:2f|5c|2e|3b|25)/i

/**
 * True when `path` (a URL as written, or its path; the query is not looked at) has no encoded
 * separator, no dot segment (`.` or `..`), no `;` path parameter and no backslash.
 * @example isPlainPath('Observation/obs-1') // true
 * @example isPlainPath('Observation/..;/admin') // false
 */
export function isPlainPath(path: string): boolean {
  const query = path.indexOf('?')
  const beforeQuery = query === -1 ? path : path.slice(0, query)
  if (FORBIDDEN.test(beforeQuery)) return false
  return beforeQuery.split('/').every((segment) => segment !== '.' && segment !== '..')
}
