/**
 * @module scripts/lib/call
 * Calls a CDS service as an EHR does: GET without a body, POST with JSON, the JWT in the
 * Authorization header. Shared by `npm run hook` and the demo.
 */

export interface CdsCallResult {
  status: number
  statusText: string
  /** The parsed JSON body, or the raw text when it is not JSON. */
  json: unknown
  ms: number
}

export async function callCds(
  url: string | URL,
  jwt: string,
  body?: string
): Promise<CdsCallResult> {
  const started = performance.now()
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${jwt}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  })
  const text = await response.text()
  const ms = Math.round(performance.now() - started)
  let json: unknown = text
  try {
    json = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, statusText: response.statusText, json, ms }
}
