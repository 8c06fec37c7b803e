/**
 * @module evidence/types
 * The shapes of the evidence path: what gathering returns ({@link GatheredResources}), what a hook
 * asks for ({@link EvidenceScope}), and what the card builders receive ({@link PatientEvidence}).
 * Fields are only ever added, never reshaped: see src/evidence/index.ts for how to add a fact.
 */
import type {
  Condition,
  DiagnosticReport,
  Endpoint,
  ImagingStudy,
  Observation,
  Patient,
  ServiceRequest,
} from 'fhir/r4'
import type { Assessment, Finding, SmokingRisk } from '../clinical/types'

/** What a hook call is about: whose data, and for imaging-study-complete which study and report. */
export interface EvidenceScope {
  /** `context.patientId`: every resource must belong to this patient or it is dropped. */
  patientId: string
  /** Only this study (imaging-study-complete); all of the patient's studies otherwise. */
  studyId?: string
  /** A report the event is about, read by id when the searches did not return it. */
  reportId?: string
  /** Fallback DICOM StudyInstanceUID for a study that lacks the identifier (viewer links). */
  studyInstanceUid?: string
}

/**
 * Every FHIR resource a hook call has, from prefetch and from reads, before selection. Each field
 * is a list of resources (the Patient excepted); selection checks every one of them for patient
 * ownership (evidence/ownership.ts, which fails to compile until a new field is added there).
 */
export interface GatheredResources {
  patient?: Patient
  studies: ImagingStudy[]
  endpoints: Endpoint[]
  reports: DiagnosticReport[]
  /** Finding Observations: from the search, and those a report lists that the search missed. */
  observations: Observation[]
  smokingStatus: Observation[]
  /** Orders: the patient's open ones and those the studies are based on. */
  serviceRequests: ServiceRequest[]
  /** The patient's active conditions, when a prefetch key carries them (guideline scope). */
  conditions: Condition[]
  /**
   * Prior finding Observations a finding names through `derivedFrom` (the nodule's earlier
   * measurements), read by id when not in prefetch. Kept apart from `observations` so a prior
   * never becomes a finding of the study being assessed.
   */
  priors: Observation[]
}

export interface StudyEvidence {
  study: ImagingStudy
  /** `ImagingStudy/{id}`. */
  studyRef?: string
  /** From `ImagingStudy.identifier`, else the hook context's `studyInstanceUid`. */
  studyInstanceUid?: string
  endpoint?: Endpoint
  /** The study's current AI reports (withdrawn and replaced ones dropped: evidence/currency.ts). */
  reports: DiagnosticReport[]
  findings: Finding[]
  /** One per finding, same order. */
  assessments: Assessment[]
  /**
   * `observationRef`s of findings read from Observations contained in a report: they exist only
   * inside the report, so a new order must point at the report instead.
   */
  containedFindings?: string[]
  /** The orders this study was done for (`ImagingStudy.basedOn`), whatever their status. */
  basedOn: ServiceRequest[]
  screening: boolean
  /** YYYY-MM-DD: `ImagingStudy.started`, else the report's effective or issued date. */
  studyDate?: string
}

/** The facts the card builders work from: one patient's selected, current imaging evidence. */
export interface PatientEvidence {
  patient?: Patient
  /** `context.patientId`: every resource below belongs to this patient. */
  patientId: string
  /** Newest study first. */
  studies: StudyEvidence[]
  /** Orders that can still happen (status active or draft): what a new follow-up could duplicate. */
  serviceRequests: ServiceRequest[]
  smokingRisk: SmokingRisk
  /** The patient's active conditions (empty when none were gathered). */
  conditions: Condition[]
}
