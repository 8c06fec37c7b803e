/**
 * @module log/redact-url
 * A connection URL as it may appear in a log line or a printed report: its password (in the
 * user-info part, or a libpq `password` / `sslpassword` query parameter) replaced by `***`.
 */

const SECRET_PARAMS = ['password', 'sslpassword']

/** The URL without its password; `(unparseable URL)` when it is not a URL at all. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    for (const name of SECRET_PARAMS)
      if (parsed.searchParams.has(name)) parsed.searchParams.set(name, '***')
    return parsed.href
  } catch {
    return '(unparseable URL)'
  }
}
