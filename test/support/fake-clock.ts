/**
 * @module test/support/fake-clock
 * How long a call waits on timers, in virtual time: `setTimeout`, `clearTimeout` and `Date` are
 * faked while everything else (I/O, crypto, microtasks) runs for real. The clock moves only to the
 * next pending timer, and only after the call has had a few real turns of the event loop to do
 * anything else, so the result is the time the service's own timers let pass, however busy the
 * machine is. A call that never settles is caught by the test's timeout.
 */
import { vi } from 'vitest'

const realSetTimeout = globalThis.setTimeout
const realTurn = () => new Promise<void>((resolve) => setImmediate(resolve))
const realSleep = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms))

/**
 * Runs `call` under fake timers and resolves with its value and the virtual milliseconds that
 * passed before it settled (rejects as `call` does).
 * @example expect((await virtualTime(() => post(hangingServer))).ms).toBeLessThanOrEqual(400)
 */
export async function virtualTime<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const started = Date.now()
  try {
    let outcome: { value: T } | { error: unknown } | undefined
    call().then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error })
    )
    while (!outcome) {
      for (let i = 0; i < 20 && !outcome; i++) await realTurn()
      if (outcome) break
      if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync()
      else await realSleep(1)
    }
    const ms = Date.now() - started
    if ('error' in outcome) throw outcome.error
    return { value: outcome.value, ms }
  } finally {
    vi.useRealTimers()
  }
}
