/**
 * Property-based tests (fast-check) of what a client can send: the request body, its context and
 * its prefetch values, taken from the README's valid requests and broken in every way a generator
 * finds (wrong types anywhere, deep nesting, huge arrays, odd Unicode: lone surrogates, NUL,
 * right-to-left marks). Whatever comes in, the answer is a response below 500, and every call
 * ends (vitest's test timeout catches a hang). Bounded for CI: a fixed number of runs per
 * property, a fixed seed unless FUZZ_SEED is set, FUZZ_RUNS to run more.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app'
import { parseConfig } from '../src/config'
import { silentLogger } from '../src/log'

const app = createApp(parseConfig({ CDS_DEV_MODE: '1', CDS_HOOK_BUDGET_MS: '1000' }), {
  logger: silentLogger,
  now: () => new Date('2026-11-29T12:00:00Z'),
})

const RUNS = Number(process.env.FUZZ_RUNS ?? 60)
const params = {
  numRuns: RUNS,
  seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 1313,
  endOnFailure: true,
}

const requests = {
  '/cds-services/imaging-ai-findings': 'fixtures/requests/imaging-study-complete-prefetch.json',
  '/cds-services/imaging-ai-order-check': 'fixtures/requests/order-select-prefetch.json',
  '/cds-services/imaging-ai-outstanding': 'fixtures/requests/patient-view-prefetch.json',
  '/cds-services/imaging-ai-findings/feedback': 'fixtures/requests/feedback.json',
}
type Path = keyof typeof requests
const paths = Object.keys(requests) as Path[]
const bases = Object.fromEntries(
  paths.map((path) => [path, JSON.parse(readFileSync(requests[path], 'utf8'))])
) as Record<Path, unknown>

async function post(path: string, body: string) {
  const res = await app.request(`http://localhost${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  await res.arrayBuffer()
  return res.status
}

/** Every path to a value inside `value` (objects and arrays), capped so huge bundles stay cheap. */
function pathsOf(value: unknown, limit = 2000): (string | number)[][] {
  const out: (string | number)[][] = []
  const walk = (node: unknown, at: (string | number)[]) => {
    if (out.length >= limit) return
    out.push(at)
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, [...at, i]))
    else if (node && typeof node === 'object')
      for (const [key, child] of Object.entries(node)) walk(child, [...at, key])
  }
  walk(value, [])
  return out
}

/** A copy of `base` with the value at `at` replaced (the root when `at` is empty). */
function replaceAt(base: unknown, at: (string | number)[], value: unknown): unknown {
  if (at.length === 0) return value
  const copy = structuredClone(base) as Record<string | number, unknown>
  let node = copy
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  node[at.at(-1)!] = value
  return copy
}

/** Odd text: lone surrogates, NUL and controls, combining marks, bidi overrides, astral chars. */
const oddChar = fc.constantFrom(
  '\u0000',
  '\u001f',
  '\ud800',
  '\udfff',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\u0301',
  '😀',
  '𝕏',
  '"',
  '\\',
  '%2f',
  '../'
)
const oddString = fc
  .array(fc.oneof(oddChar, fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 30 })
  .map((parts) => parts.join(''))

/** Names a big generated value in fast-check's report instead of printing it whole. */
function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label, enumerable: false })
  return value
}

/**
 * Deeply nested arrays or objects. Kept as a marker until the body is written out (`serialise`):
 * the test's own JSON.stringify would run out of stack on them, the server's parser must not.
 */
class Deep {
  constructor(
    readonly depth: number,
    readonly arrays: boolean
  ) {}
  text() {
    return this.arrays
      ? '['.repeat(this.depth) + ']'.repeat(this.depth)
      : '{"a":'.repeat(this.depth) + '1' + '}'.repeat(this.depth)
  }
  [fc.toStringMethod]() {
    return `${this.arrays ? 'arrays' : 'objects'} nested ${this.depth} deep`
  }
}
const deep = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) => new Deep(depth, arrays))

/** The body as JSON text, with each Deep marker written out in place. */
function serialise(body: unknown): string {
  const deeps: Deep[] = []
  const text = JSON.stringify(body, (_key, value: unknown) =>
    value instanceof Deep ? `\u0000deep${deeps.push(value) - 1}\u0000` : value
  )
  return text.replace(/"\\u0000deep(\d+)\\u0000"/g, (_m, i: string) => deeps[Number(i)]!.text())
}

/** Huge arrays of small or odd members. */
const huge = fc
  .tuple(fc.integer({ min: 1000, max: 50_000 }), fc.constantFrom(0, 'x', null, {}, [], { id: 'x' }))
  .map(([length, member]) =>
    labelled(
      Array.from({ length }, () => member),
      `${length} x ${JSON.stringify(member)}`
    )
  )

const anyValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.constantFrom(-0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '', ' ') }
)

describe('fuzzed requests: a clear answer below 500, never a hang', () => {
  it('survives any value at any place of a valid request', async () => {
    const cases = fc.constantFrom(...paths).chain((path) =>
      fc.record({
        path: fc.constant(path),
        at: fc.constantFrom(...pathsOf(bases[path])),
        value: anyValue,
      })
    )
    await fc.assert(
      fc.asyncProperty(cases, async ({ path, at, value }) => {
        const status = await post(path, serialise(replaceAt(bases[path], at, value)))
        expect(status).toBeLessThan(500)
      }),
      params
    )
  })

  it('survives arbitrary context and prefetch objects', async () => {
    const hookPaths = paths.filter((p) => !p.endsWith('/feedback'))
    const cases = fc.record({
      path: fc.constantFrom(...hookPaths),
      context: fc.oneof(fc.dictionary(oddString, anyValue, { maxKeys: 8 }), anyValue),
      prefetch: fc.oneof(fc.dictionary(oddString, anyValue, { maxKeys: 8 }), anyValue),
    })
    await fc.assert(
      fc.asyncProperty(cases, async ({ path, context, prefetch }) => {
        const body = { ...(bases[path] as object), context, prefetch }
        expect(await post(path, serialise(body))).toBeLessThan(500)
      }),
      params
    )
  })

  it('survives bodies that are not JSON, or not UTF-8', async () => {
    const raw = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 2000 }),
      fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      oddString.map((s) => `{"hook": "${s}"`)
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), raw, async (path, body) => {
        expect(await post(path, body)).toBeLessThan(500)
      }),
      params
    )
  })
})
