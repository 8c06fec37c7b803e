import type { ServiceRequest } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { coveringOrder, followUpState } from './follow-up'
import { cardSubjects } from './subjects'
import { indexOrders } from './orders'
import {
  PATIENT_ID,
  RADLEX,
  evidence,
  nodule,
  options,
  serviceRequest,
  study,
} from '../../test/support/fhir-builders'

/** FDG PET/CT: another family than the LDCT follow-up, which it never covers (issue 10). */
const PET = { system: RADLEX, code: 'RPID6017' }

describe('coveringOrder at scale', () => {
  it('finds each subject its own covering order among 1000: its exam, for it, in its window', () => {
    // 100 studies a year apart, each a Lung-RADS 4A nodule: LDCT due on 06-14 of its year.
    const n = 100
    const studies = Array.from({ length: n }, (_, i) =>
      study({ id: `s${i}`, started: `${2000 + i}-03-14T10:00:00Z` })
    )
    const observations = Array.from({ length: n }, (_, i) =>
      nodule({ id: `o${i}`, studyId: `s${i}`, mean: 8.6 })
    )
    const orders: ServiceRequest[] = []
    // Chest CTs dated before every window: they cover nobody, but each is a candidate.
    while (orders.length < 1000 - n - (3 * n) / 4)
      orders.push(serviceRequest({ id: `noise${orders.length}`, occurrence: '1990-01-01' }))
    for (let i = 0; i < n; i++) {
      if (i % 4 === 0) {
        // For the finding: a PET/CT is not its LDCT, nor an undated LDCT; of two in the window
        // the first wins.
        const reason = { reasonRef: `Observation/o${i}`, occurrence: `${2000 + i}-06-20` }
        orders.push(serviceRequest({ id: `reason-a${i}`, coding: [PET], ...reason }))
        orders.push(serviceRequest({ id: `reason-u${i}`, reasonRef: `Observation/o${i}` }))
        orders.push(serviceRequest({ id: `reason-b${i}`, ...reason }))
        orders.push(serviceRequest({ id: `reason-c${i}`, ...reason }))
      } else if (i % 4 === 1) {
        orders.push(serviceRequest({ id: `due${i}`, occurrence: `${2000 + i}-06-10` }))
      } else if (i % 4 === 2) {
        // Another patient's order for the finding, in the window: not ours.
        orders.push({
          ...serviceRequest({
            id: `other${i}`,
            occurrence: `${2000 + i}-06-10`,
            reasonRef: `Observation/o${i}`,
          }),
          subject: { reference: 'Patient/someone-else' },
        })
      } else orders.push(serviceRequest({ id: `early${i}`, occurrence: `${2000 + i}-04-01` }))
    }
    expect(orders).toHaveLength(1000)
    const ev = evidence({ studies, observations, serviceRequests: orders })
    const opts = options()
    const subjects = ev.studies.flatMap(cardSubjects)
    expect(subjects).toHaveLength(n)
    const index = indexOrders(orders, PATIENT_ID, opts)
    const patientOrders = indexOrders(ev.serviceRequests, ev.patientId, opts)
    for (const subject of subjects) {
      const i = Number(subject.study.studyRef!.slice('ImagingStudy/s'.length))
      const expected = i % 4 === 0 ? `reason-b${i}` : i % 4 === 1 ? `due${i}` : undefined
      expect(coveringOrder(subject, index, opts)?.id).toBe(expected)
      expect(followUpState(subject, patientOrders, opts).existing?.id).toBe(expected)
    }
  })
  it('reads the list its index was built from: an index built after an order is added sees it', () => {
    const ev = evidence({ observations: [nodule({ mean: 8.6 })] })
    const [subject] = ev.studies.flatMap(cardSubjects)
    const orders = [serviceRequest({ id: 'noise', occurrence: '1990-01-01' })]
    const opts = options()
    expect(coveringOrder(subject!, indexOrders(orders, PATIENT_ID, opts), opts)).toBeUndefined()
    orders.push(serviceRequest({ id: 'due', occurrence: '2026-06-10' }))
    expect(coveringOrder(subject!, indexOrders(orders, PATIENT_ID, opts), opts)?.id).toBe('due')
  })
  it('leaves another patient’s orders out of the index', () => {
    const opts = options()
    const mine = serviceRequest({ id: 'mine', occurrence: '2026-06-10' })
    const theirs = { ...serviceRequest({ id: 'theirs' }), subject: { reference: 'Patient/x' } }
    const index = indexOrders([mine, theirs], PATIENT_ID, opts)
    expect(index.orders.map((o) => o.order.id)).toEqual(['mine'])
  })
})
