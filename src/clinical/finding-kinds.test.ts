/**
 * @module clinical/finding-kinds.test
 * The finding-kind table row by row (every code and ICD-10 category), recognition by words, and
 * the "reads like a critical family" escalation.
 */
import { describe, expect, it } from 'vitest'
import {
  criticalFindingKinds,
  findingKindNames,
  findingKindOf,
  findingKindTable,
  recognizeKind,
} from './finding-kinds'
import { findingKinds } from './types'

const SCT = 'http://snomed.info/sct'
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm'
const ICD10 = 'http://hl7.org/fhir/sid/icd-10'

describe('finding-kind codes, row by row', () => {
  const rows = findingKindTable.flatMap((row) =>
    row.codes.map((c) => [row.kind, c.system, c.code, c.source] as const)
  )
  it.each(rows)('%s ← %s|%s', (kind, system, code, source) => {
    expect(source.trim()).not.toBe('')
    expect(findingKindOf([{ system, code }])).toBe(kind)
    // A coding without a system still matches on its code; another system does not.
    expect(findingKindOf([{ code }])).toBe(kind)
    expect(findingKindOf([{ system: 'http://example.org/local', code }])).toBe('unknown')
  })

  const categories = findingKindTable.flatMap((row) =>
    row.icd10.map((c) => [row.kind, c.prefix, c.source] as const)
  )
  it.each(categories)('%s ← ICD-10 %s and its subcodes', (kind, prefix, source) => {
    expect(source.trim()).not.toBe('')
    expect(findingKindOf([{ system: ICD10CM, code: prefix }])).toBe(kind)
    expect(findingKindOf([{ system: ICD10, code: `${prefix}9` }])).toBe(kind)
    expect(findingKindOf([{ system: ICD10CM, code: `${prefix.replace('.', '')}2` }])).toBe(kind)
    // An ICD-10 code is never matched without its system (I60 could be anything elsewhere).
    expect(findingKindOf([{ code: prefix }])).toBe('unknown')
  })

  it.each([
    // issue 10: subtypes coded alone used to be "unknown"
    [[{ system: SCT, code: '21454007' }], 'intracranial-hemorrhage'],
    [[{ system: ICD10CM, code: 'I62.01' }], 'intracranial-hemorrhage'],
    [[{ system: ICD10CM, code: 'I26.92' }], 'pulmonary-embolism'],
    [[{ system: SCT, code: '706870000' }], 'pulmonary-embolism'],
    [[{ system: SCT, code: '233645004' }], 'pneumothorax'],
    [[{ system: SCT, code: '20059004' }], 'large-vessel-occlusion'],
    [[{ system: ICD10CM, code: 'I71.01' }], 'aortic-dissection'],
    // I71.2 (thoracic aneurysm without rupture) is not a dissection
    [[{ system: ICD10CM, code: 'I71.2' }], 'unknown'],
    [[{ system: ICD10CM, code: 'I63.5' }], 'unknown'],
    [
      [
        { system: 'http://example.org/local', code: 'x' },
        { system: `${SCT}/`, code: '36118008' },
      ],
      'pneumothorax',
    ],
    [[{}, { display: 'something' }], 'unknown'],
    [[], 'unknown'],
  ])('%j → %s', (codings, kind) => {
    expect(findingKindOf(codings)).toBe(kind)
  })

  it('names and marks every kind', () => {
    for (const kind of findingKinds) expect(findingKindNames[kind]).toBeTruthy()
    expect([...criticalFindingKinds].sort()).toEqual([
      'aortic-dissection',
      'intracranial-hemorrhage',
      'large-vessel-occlusion',
      'pneumoperitoneum',
      'pneumothorax',
      'pulmonary-embolism',
    ])
  })
})

describe('recognition by words', () => {
  it.each([
    ['Subdural hematoma', 'intracranial-hemorrhage'],
    ['Acute subarachnoid haemorrhage', 'intracranial-hemorrhage'],
    ['Intraparenchymal hemorrhage, left frontal', 'intracranial-hemorrhage'],
    ['Epidural bleed', 'intracranial-hemorrhage'],
    ['SAH', 'intracranial-hemorrhage'],
    ['Saddle embolus', 'pulmonary-embolism'],
    ['Acute pulmonary embolism, right lower lobe segmental', 'pulmonary-embolism'],
    ['Pulmonary artery thromboembolism', 'pulmonary-embolism'],
    ['PE', 'pulmonary-embolism'],
    ['Tension pneumothorax', 'pneumothorax'],
    ['Right pneumothoraces', 'pneumothorax'],
    ['Aortic dissection, Stanford A', 'aortic-dissection'],
    ['Ruptured abdominal aortic aneurysm', 'aortic-dissection'],
    ['Rupture of the thoracic aorta', 'aortic-dissection'],
    ['Large vessel occlusion', 'large-vessel-occlusion'],
    ['LVO detected', 'large-vessel-occlusion'],
    ['M1 occlusion, left', 'large-vessel-occlusion'],
    ['Basilar artery occlusion', 'large-vessel-occlusion'],
    ['Pneumoperitoneum', 'pneumoperitoneum'],
    ['Free intraperitoneal air', 'pneumoperitoneum'],
    ['Lung nodule', 'pulmonary-nodule'],
    ['Part-solid nodule', 'pulmonary-nodule'],
    ['Nodule in the right upper lobe', 'pulmonary-nodule'],
    ['Acute rib fractures', 'rib-fracture'],
  ])('%s → %s', (text, kind) => {
    const r = recognizeKind([], text)
    expect(r).toMatchObject({ by: 'words', kind })
  })

  it('reads code.text and every display, codes first', () => {
    expect(recognizeKind([{ system: 'urn:x', code: '1', display: 'Saddle PE' }])).toMatchObject({
      by: 'words',
      kind: 'pulmonary-embolism',
    })
    expect(recognizeKind([{ system: SCT, code: '33737001' }], 'Tension pneumothorax')).toEqual({
      by: 'code',
      kind: 'rib-fracture',
    })
  })

  it('does not take "pe" in lower case, a thyroid nodule or a negated phrase for a kind', () => {
    expect(recognizeKind([], 'type pe lesion').kind).toBe('unknown')
    expect(recognizeKind([], 'Thyroid nodule')).toEqual({ by: 'none', kind: 'unknown' })
    expect(recognizeKind([], 'No pulmonary embolism').by).not.toBe('words')
  })
})

describe('reads like a critical family', () => {
  it.each([
    ['Hyperdense hemorrhagic focus', 'intracranial-hemorrhage', false],
    ['Filling defect suggesting embolus', 'pulmonary-embolism', false],
    ['Intimal flap, possible dissection', 'aortic-dissection', false],
    ['Vessel cut-off, possible occlusion', 'large-vessel-occlusion', false],
    ['Bowel perforation', 'pneumoperitoneum', false],
    // a negated critical phrase is not hidden: it reads like the family, and says it was negated
    ['No pulmonary embolism', 'pulmonary-embolism', true],
  ])('%s → reads like %s (negated: %s)', (text, family, negated) => {
    expect(recognizeKind([], text)).toEqual({
      by: 'reads-like',
      kind: 'unknown',
      family,
      matched: expect.any(String),
      negated,
    })
  })

  it('leaves ordinary unknown findings alone', () => {
    expect(recognizeKind([], 'Adrenal adenoma')).toEqual({ by: 'none', kind: 'unknown' })
    expect(recognizeKind([{ system: 'urn:x', code: 'abc' }])).toEqual({
      by: 'none',
      kind: 'unknown',
    })
  })
})
