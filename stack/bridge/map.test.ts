import { describe, expect, it } from 'vitest'
import { toImagingStudy, dicomWebEndpoint, type QidoStudy } from './map'
import { dicomDateTime, type DicomJson } from '../dicom-json'

const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2'
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1'
const v = (vr: string, ...Value: unknown[]) => ({ vr, Value })

function instance(uid: string, number?: number, extra: DicomJson = {}): DicomJson {
  return {
    '00080016': v('UI', CT_IMAGE),
    '00080018': v('UI', uid),
    ...(number !== undefined ? { '00200013': v('IS', number) } : {}),
    ...extra,
  }
}

function series(uid: string, number: number | undefined, instances: DicomJson[]) {
  return {
    series: {
      '0020000E': v('UI', uid),
      '00080060': v('CS', 'CT'),
      '0008103E': v('LO', `Series ${uid}`),
      ...(number !== undefined ? { '00200011': v('IS', number) } : {}),
    },
    instances,
  }
}

const study = (extra: DicomJson = {}): DicomJson => ({
  '0020000D': v('UI', '1.2.3'),
  '00080020': v('DA', '20261116'),
  '00080030': v('TM', '140500'),
  '00080201': v('SH', '+0000'),
  '00080050': v('SH', 'ACC-1'),
  '00080061': v('CS', 'CT'),
  '00081030': v('LO', 'LDCT chest, lung cancer screening'),
  '00100020': v('LO', 'MRN-1'),
  '00081032': v('SQ', {
    '00080100': v('SH', '79086-5'),
    '00080102': v('SH', 'LN'),
    '00080104': v('LO', 'CT Chest for screening WO contrast'),
  }),
  ...extra,
})

const options = { patientReference: 'Patient/p1', endpointReference: 'Endpoint/e1' }

describe('toImagingStudy', () => {
  it('maps a study to the contract: identifier, started, procedure code, series and instances', () => {
    const qido: QidoStudy = {
      study: study(),
      series: [series('1.2.3.1', 1, [instance('1.2.3.1.2', 2), instance('1.2.3.1.1', 1)])],
    }
    const s = toImagingStudy(qido, { ...options, accessionSystem: 'urn:example:acsn' })
    expect(s.identifier?.[0]).toEqual({ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' })
    expect(s.identifier?.[1]).toMatchObject({ system: 'urn:example:acsn', value: 'ACC-1' })
    expect(s.subject).toEqual({ reference: 'Patient/p1' })
    expect(s.endpoint).toEqual([{ reference: 'Endpoint/e1' }])
    expect(s.started).toBe('2026-11-16T14:05:00Z')
    expect(s.procedureCode?.[0]?.coding?.[0]).toEqual({
      system: 'http://loinc.org',
      code: '79086-5',
      display: 'CT Chest for screening WO contrast',
    })
    expect(s.modality).toEqual([
      { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
    ])
    expect(s.numberOfSeries).toBe(1)
    expect(s.numberOfInstances).toBe(2)
    expect(s.series?.[0]?.instance?.map((i) => [i.uid, i.number])).toEqual([
      ['1.2.3.1.1', 1],
      ['1.2.3.1.2', 2],
    ])
    expect(s.series?.[0]?.instance?.[0]?.sopClass).toEqual({
      system: 'urn:ietf:rfc:3986',
      code: `urn:oid:${CT_IMAGE}`,
    })
  })

  it('keeps a series without a SeriesNumber, unnumbered and after the numbered ones', () => {
    const qido: QidoStudy = {
      study: study(),
      series: [
        series('9.9', undefined, [instance('9.9.1')]),
        series('1.1', 2, [instance('1.1.1', 1)]),
      ],
    }
    const s = toImagingStudy(qido, options)
    expect(s.series?.map((x) => x.uid)).toEqual(['1.1', '9.9'])
    expect(s.series?.[1]).not.toHaveProperty('number')
    expect(s.series?.[1]?.instance?.[0]).not.toHaveProperty('number')
  })

  it('counts a multi-frame image as one instance, with its own SOP class', () => {
    const multi = instance('5.5.1', 1, {
      '00080016': v('UI', ENHANCED_CT),
      '00280008': v('IS', 120),
    })
    const s = toImagingStudy({ study: study(), series: [series('5.5', 1, [multi])] }, options)
    expect(s.numberOfInstances).toBe(1)
    expect(s.series?.[0]?.numberOfInstances).toBe(1)
    expect(s.series?.[0]?.instance?.[0]?.sopClass.code).toBe(`urn:oid:${ENHANCED_CT}`)
  })

  it('leaves started out when the study has no StudyDate', () => {
    const noDate = study()
    delete noDate['00080020']
    const s = toImagingStudy({ study: noDate, series: [] }, options)
    expect(s).not.toHaveProperty('started')
    expect(s.numberOfSeries).toBe(0)
    expect(s).not.toHaveProperty('series')
  })

  it('keeps only the date when DICOM gives a time without a zone (a wrong hour is worse)', () => {
    const noZone = study()
    delete noZone['00080201']
    expect(toImagingStudy({ study: noZone, series: [] }, options).started).toBe('2026-11-16')
    expect(
      toImagingStudy({ study: noZone, series: [] }, { ...options, timezone: '+01:00' }).started
    ).toBe('2026-11-16T14:05:00+01:00')
  })

  it('gives a series without Modality the DICOM term OT, so the R4 series stays valid', () => {
    const s = toImagingStudy(
      { study: study(), series: [{ series: { '0020000E': v('UI', '7.7') }, instances: [] }] },
      options
    )
    expect(s.series?.[0]?.modality.code).toBe('OT')
  })

  it('keeps a procedure code of an unknown scheme without inventing a system', () => {
    const local = study({
      '00081032': v('SQ', {
        '00080100': v('SH', 'CTCHEST1'),
        '00080102': v('SH', '99LOCAL'),
        '00080104': v('LO', 'CT chest'),
      }),
    })
    const s = toImagingStudy({ study: local, series: [] }, options)
    expect(s.procedureCode?.[0]?.coding?.[0]).toEqual({ code: 'CTCHEST1', display: 'CT chest' })
  })

  it('maps the same QIDO content to equal JSON whatever order the server lists it in', () => {
    const a = [series('1.1', 1, [instance('1.1.1', 1), instance('1.1.2', 2)]), series('2.2', 2, [])]
    const b = [series('2.2', 2, []), series('1.1', 1, [instance('1.1.2', 2), instance('1.1.1', 1)])]
    expect(toImagingStudy({ study: study(), series: a }, options)).toEqual(
      toImagingStudy({ study: study(), series: b }, options)
    )
  })

  it('refuses a study without StudyInstanceUID, naming the tag', () => {
    const bad = study()
    delete bad['0020000D']
    expect(() => toImagingStudy({ study: bad, series: [] }, options)).toThrow(/0020000D/)
  })
})

describe('dicomWebEndpoint', () => {
  it('is a dicom-wado-rs Endpoint identified by its address', () => {
    const e = dicomWebEndpoint('http://127.0.0.1:8042/dicom-web')
    expect(e.connectionType.code).toBe('dicom-wado-rs')
    expect(e.address).toBe('http://127.0.0.1:8042/dicom-web')
    expect(e.identifier?.[0]?.value).toBe('http://127.0.0.1:8042/dicom-web')
  })
})

describe('dicomDateTime', () => {
  it('reads DA, TM with fractions and offsets', () => {
    expect(dicomDateTime('20260102', '0930', '-0500')).toBe('2026-01-02T09:30:00-05:00')
    expect(dicomDateTime('20260102', '093015.123', '+0000')).toBe('2026-01-02T09:30:15Z')
    expect(dicomDateTime('2026-01-02')).toBeUndefined()
    expect(dicomDateTime(undefined, '0930', '+0000')).toBeUndefined()
  })
})
