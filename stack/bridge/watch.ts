/**
 * @module stack/bridge/watch
 * `--watch`: follows Orthanc's change feed (`GET /changes?since=N`) and bridges each study once
 * Orthanc calls it stable (`StableStudy`). The position in the feed is saved to a state file after
 * each change, so a restarted bridge resumes where it stopped; a study whose bridging failed (the
 * FHIR server down, say) stops the feed at that change and is retried with backoff; a study whose
 * Patient does not exist yet is kept in the state file and retried on every poll.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { HttpClient } from '../http'
import { bridgeAll, bridgeStudy, type BridgeOptions } from './bridge'

export interface WatchState {
  /** The last change sequence number handled. */
  since: number
  /** Studies waiting for their Patient to appear in FHIR. */
  pending: string[]
}

export interface WatchOptions extends BridgeOptions {
  /** Orthanc's REST API (the DICOMweb URL without `/dicom-web`). */
  orthanc: HttpClient
  stateFile: string
  pollMs?: number
  /** Resolves to stop watching (Ctrl-C). */
  stop: Promise<unknown>
}

interface OrthancChanges {
  Changes: { ChangeType: string; ResourceType: string; ID: string; Seq: number }[]
  Done: boolean
  Last: number
}

export function readState(file: string): WatchState | undefined {
  if (!existsSync(file)) return undefined
  const state = JSON.parse(readFileSync(file, 'utf8')) as Partial<WatchState>
  if (typeof state.since !== 'number') throw new Error(`${file}: no numeric "since"`)
  return { since: state.since, pending: Array.isArray(state.pending) ? state.pending : [] }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
export function writeState(file: string, state: WatchState): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
}

export async function watch(options: WatchOptions): Promise<void> {
  const log = options.log ?? (() => {})
  const pollMs = options.pollMs ?? 2000
  let stopped = false
  void options.stop.then(() => (stopped = true))
  const pause = (ms: number) => Promise.race([sleep(ms), options.stop])

  let state = readState(options.stateFile)
  if (!state) {
    // First start: remember where the feed is now, then bridge everything already there.
    const { json } = await options.orthanc.request('GET', 'changes?last')
    const last = (json as OrthancChanges).Last
    const results = await bridgeAll(options)
    state = {
      since: last,
      pending: results.filter((r) => r.outcome === 'no-patient').map((r) => r.studyInstanceUid),
    }
    writeState(options.stateFile, state)
    log(`watch: initial sync of ${results.length} studies done; following changes after #${last}`)
  } else {
    log(`watch: resuming after change #${state.since} (${options.stateFile})`)
  }

  let failures = 0
  while (!stopped) {
    try {
      state = await retryPending(options, state)
      const { json } = await options.orthanc.request(
        'GET',
        `changes?since=${state.since}&limit=100`
      )
      const feed = json as OrthancChanges
      for (const change of feed.Changes) {
        if (stopped) break
        if (change.ChangeType === 'StableStudy' && change.ResourceType === 'Study') {
          const uid = await studyUid(options.orthanc, change.ID)
          if (uid) {
            const result = await bridgeStudy(options, uid)
            // Not advancing past a failure is what makes an outage lose nothing.
            if (result.outcome === 'failed') throw new Error(result.message ?? 'failed')
            if (result.outcome === 'no-patient' && !state.pending.includes(uid)) {
              state = { ...state, pending: [...state.pending, uid] }
            }
          }
        }
        state = { ...state, since: change.Seq }
        writeState(options.stateFile, state)
      }
      failures = 0
      if (feed.Done || feed.Changes.length === 0) await pause(pollMs)
    } catch (err) {
      failures++
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5))
      log(`watch: ${(err as Error).message}; retrying in ${delay} ms`)
      await pause(delay)
    }
  }
}

async function retryPending(options: WatchOptions, state: WatchState): Promise<WatchState> {
  if (state.pending.length === 0) return state
  const still: string[] = []
  for (const uid of state.pending) {
    const result = await bridgeStudy({ ...options, log: () => {} }, uid)
    if (result.outcome === 'no-patient' || result.outcome === 'failed') still.push(uid)
    else
      options.log?.(
        `${uid}: ${result.outcome} ImagingStudy/${result.imagingStudyId} (Patient now known)`
      )
  }
  if (still.length === state.pending.length) return state
  const next = { ...state, pending: still }
  writeState(options.stateFile, next)
  return next
}

async function studyUid(orthanc: HttpClient, id: string): Promise<string | undefined> {
  const { json } = await orthanc.request('GET', `studies/${encodeURIComponent(id)}`, {
    okStatuses: [200, 404],
  })
  return (json as { MainDicomTags?: { StudyInstanceUID?: string } } | undefined)?.MainDicomTags
    ?.StudyInstanceUID
}
