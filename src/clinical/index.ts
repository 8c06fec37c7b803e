/**
 * @module clinical
 * The clinical rules of the service: reading AI findings from FHIR, the Lung-RADS v2022 and
 * Fleischner 2017 tables as data, and the assessment that turns a finding into a category,
 * follow-up and card indicator. No I/O and no runtime-specific APIs.
 */
export * from './types'
export * from './codes'
export * from './finding-kinds'
export * from './exam-families'
export * from './order-verdict'
export {
  roundHalfUp,
  toTenthMm,
  toWholeMm,
  meanOfAxes,
  noduleDiameters,
  averageDiameterMm,
  inBounds,
  type Bounds,
} from './measure'
export { readFinding, readFindings, parseLungRadsCategory } from './read-finding'
export { readNoduleFacts, changeValues, solidnessValues, positionValues } from './read-nodule'
export { readModelInfo } from './reports'
export * from './lung-rads-table'
export * from './lung-rads'
export * from './fleischner'
export * from './context'
export * from './assess'
export { suspicionRank, multipleNoduleCount } from './suspicion'
export * from './phrases'
export * from './growth'
export * from './conditions'
export * from './priors'
