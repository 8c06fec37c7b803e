/**
 * @module bench/fhir-server-process
 * The in-memory Medplum FHIR server (demo/fhir-server.ts) seeded with every fixture, in a process
 * of its own, so its CPU time is not charged to the service under test. Started by bench/run.ts
 * with `node --import tsx bench/fhir-server-process.ts` (or by hand with
 * `npx tsx bench/fhir-server-process.ts`); speaks bench/child.ts's protocol. Its stats are the
 * TCP connections accepted and the requests answered since the last reset, and its own mean time
 * per request.
 */
import { startFhirServer } from '../demo/fhir-server'
import { loadFixtureResources } from '../fixtures'
import { announce, countAcceptedConnections } from './child'

const connections = countAcceptedConnections()
const fhir = await startFhirServer({ resources: loadFixtureResources() })

announce({
  url: fhir.url,
  stats() {
    const done = fhir.requests.filter((r) => r.endedAt !== undefined)
    const totalMs = done.reduce((sum, r) => sum + (r.endedAt! - r.startedAt), 0)
    return {
      connections: connections.count(),
      requests: done.length,
      meanMs: done.length ? totalMs / done.length : 0,
    }
  },
  reset() {
    connections.reset()
    fhir.requests.length = 0
  },
  close: () => fhir.close(),
})
