/**
 * @module demo/scenarios
 * Which hook calls the demo makes, as an EHR would: `imaging-study-complete` for every fixture
 * scenario (half with the prefetch an EHR assembles from the discovery templates, half with none,
 * so the service fetches through `fhirServer`), `order-select` with the sandbox-shaped chest CT
 * draft order, and `patient-view`. Plain data plus request builders; no I/O here.
 */
import {
  FIXTURE_SCENARIOS,
  getScenario,
  imagingStudyCompleteRequest,
  loadFixtureRequest,
  type FixtureHookRequest,
  type ScenarioName,
} from '../fixtures/index'

export type DemoHook = 'imaging-study-complete' | 'order-select' | 'patient-view'

/** Whether the EHR sends the prefetch or leaves the service to fetch everything. */
export type PrefetchMode = 'prefetch' | 'fetch'

export interface DemoCall {
  /** Stable id, so tests and the feedback step can find a call's cards. */
  id: string
  hook: DemoHook
  /** The service id in discovery.json. */
  serviceId: string
  patientId: string
  /** Fixture scenario the call is about, for the header. */
  scenario?: ScenarioName
  /** What it shows, in a few words. */
  note: string
  prefetch: PrefetchMode
  /** The request without prefetch; the runner adds fhirServer, fhirAuthorization and prefetch. */
  request(): FixtureHookRequest
}

export const SERVICE_BY_HOOK: Record<DemoHook, string> = {
  'imaging-study-complete': 'imaging-ai-findings',
  'order-select': 'imaging-ai-order-check',
  'patient-view': 'imaging-ai-outstanding',
}

/** Alternating, so both paths (prefetch sent, prefetch fetched) are shown on varied data. */
const STUDY_PREFETCH: Record<ScenarioName, PrefetchMode> = {
  'screening-4a': 'prefetch',
  'incidental-7mm': 'fetch',
  'pulmonary-embolism': 'prefetch',
  'clean-study': 'fetch',
  'existing-followup': 'prefetch',
  disagreement: 'fetch',
  'unknown-finding': 'prefetch',
  'growth-from-prior': 'fetch',
}

/** The sandbox's PAMA screen request (CPT 71250, CT thorax) re-pointed at another patient. */
function orderSelectFor(patientId: string): FixtureHookRequest {
  const request = loadFixtureRequest('order-select-pama', { freshHookInstance: true })
  request.context.patientId = patientId
  const bundle = request.context.draftOrders as {
    entry: { resource: { subject: { reference: string } } }[]
  }
  for (const entry of bundle.entry) entry.resource.subject.reference = `Patient/${patientId}`
  return request
}

function patientView(patientId: string): FixtureHookRequest {
  const request = loadFixtureRequest('patient-view', { freshHookInstance: true })
  request.context.patientId = patientId
  return request
}

/** Every call the demo makes, in order. */
export function demoCalls(): DemoCall[] {
  const studyCalls: DemoCall[] = FIXTURE_SCENARIOS.map((s) => ({
    id: `study:${s.name}`,
    hook: 'imaging-study-complete',
    serviceId: SERVICE_BY_HOOK['imaging-study-complete'],
    patientId: s.patientId,
    scenario: s.name,
    note: s.expected.outcome,
    prefetch: STUDY_PREFETCH[s.name],
    request: () => imagingStudyCompleteRequest(s.name),
  }))
  const screening = getScenario('screening-4a')
  const clean = getScenario('clean-study')
  return [
    ...studyCalls,
    {
      id: 'order:screening-4a',
      hook: 'order-select',
      serviceId: SERVICE_BY_HOOK['order-select'],
      patientId: screening.patientId,
      scenario: screening.name,
      note: 'Chest CT (CPT 71250) selected for a patient with an open Lung-RADS 4A finding.',
      prefetch: 'fetch',
      request: () => orderSelectFor(screening.patientId),
    },
    {
      id: 'order:clean-study',
      hook: 'order-select',
      serviceId: SERVICE_BY_HOOK['order-select'],
      patientId: clean.patientId,
      scenario: clean.name,
      note: 'Chest CT (CPT 71250) selected for a patient whose AI study found nothing.',
      prefetch: 'prefetch',
      request: () => orderSelectFor(clean.patientId),
    },
    ...(['incidental-7mm', 'existing-followup'] as const).map((name): DemoCall => ({
      id: `patient:${name}`,
      hook: 'patient-view',
      serviceId: SERVICE_BY_HOOK['patient-view'],
      patientId: getScenario(name).patientId,
      scenario: name,
      note:
        name === 'existing-followup'
          ? 'Chart opened: the finding already has its follow-up order.'
          : 'Chart opened: an AI finding with no follow-up order yet.',
      prefetch: name === 'existing-followup' ? 'prefetch' : 'fetch',
      request: () => patientView(getScenario(name).patientId),
    })),
  ]
}
