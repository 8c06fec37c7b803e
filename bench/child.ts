/**
 * @module bench/child
 * The little protocol between bench/run.ts and the servers it starts in child processes: the
 * child prints one JSON line `{"url": ...}` once it listens; then, per line on stdin, `stats`
 * prints one JSON line of counters and `reset` zeroes them; when stdin closes the child closes
 * its server and exits, so it never outlives the bench. Lines the child's logger prints carry a
 * `level` and are not part of the protocol.
 */
import { subscribe } from 'node:diagnostics_channel'
import { createInterface } from 'node:readline'

export interface ChildServer {
  url: string
  stats?: () => Record<string, number>
  reset?: () => void
  close: () => Promise<void>
}

/**
 * Counts TCP connections accepted by any server in this process (the `net.server.socket`
 * diagnostics channel), so a server that does not expose its http.Server can still be watched.
 */
export function countAcceptedConnections(): { count(): number; reset(): void } {
  let accepted = 0
  subscribe('net.server.socket', () => {
    accepted++
  })
  return { count: () => accepted, reset: () => (accepted = 0) }
}

export function announce(server: ChildServer): void {
  console.log(JSON.stringify({ url: server.url }))
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    const command = line.trim()
    if (command === 'reset') server.reset?.()
    else if (command === 'stats') console.log(JSON.stringify(server.stats?.() ?? {}))
  })
  lines.on('close', () => {
    void server.close().finally(() => process.exit(0))
  })
}
