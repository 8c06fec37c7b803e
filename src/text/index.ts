/**
 * @module text
 * Linear helpers for strings that come from outside (requests, FHIR servers, configuration).
 * Every string the service trims or normalises goes through here, because the obvious regular
 * expression is often quadratic: `s.replace(/\/+$/, '')` restarts its scan at every slash of a
 * long run followed by any other character, so 150 000 slashes and an `x` held the event loop for
 * ~10 s. Each function here walks its input once.
 */

const SLASH = 0x2f

/**
 * `value` without its trailing `/` characters, in one pass from the end.
 * @example trimTrailingSlashes('https://fhir.test/r4//') // 'https://fhir.test/r4'
 */
export function trimTrailingSlashes(value: string): string {
  let end = value.length
  while (end > 0 && value.charCodeAt(end - 1) === SLASH) end--
  return end === value.length ? value : value.slice(0, end)
}

/**
 * `value` without its leading `/` characters, in one pass from the start.
 * @example trimLeadingSlashes('//Patient/1') // 'Patient/1'
 */
export function trimLeadingSlashes(value: string): string {
  let start = 0
  while (start < value.length && value.charCodeAt(start) === SLASH) start++
  return start === 0 ? value : value.slice(start)
}
