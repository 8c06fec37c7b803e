/* eslint-disable @typescript-eslint/no-explicit-any -- these tests build deliberately malformed JSON */
import { describe, expect, it } from 'vitest'
import { exampleAiResult as validResult } from './example'
import { AiResultError, parseAiResult } from './schema'

const refusal = (mutate: (r: ReturnType<typeof validResult>) => unknown) => {
  const input = validResult()
  const changed = mutate(input) ?? input
  try {
    parseAiResult(changed)
  } catch (err) {
    expect(err).toBeInstanceOf(AiResultError)
    return err as AiResultError
  }
  throw new Error('accepted')
}

describe('parseAiResult', () => {
  it('accepts the documented example and defaults the run status to preliminary', () => {
    expect(parseAiResult(validResult()).run.status).toBe('preliminary')
  })

  it.each([
    ['study.studyInstanceUid', (r: any) => void (r.study.studyInstanceUid = '1.2.x')],
    ['model.version', (r: any) => void delete r.model.version],
    ['run.completed', (r: any) => void (r.run.completed = '16/11/2026')],
    ['confidence', (r: any) => void (r.confidence = 91)],
    ['findings[0].type', (r: any) => void (r.findings[0].type = 'nodule')],
    ['findings[0].lobe', (r: any) => void (r.findings[0].lobe = 'right upper')],
    [
      'findings[0].measurements.longAxisMm',
      (r: any) => void (r.findings[0].measurements.longAxisMm = -1),
    ],
    [
      'findings[0].measurements.shortAxisMm',
      (r: any) => void (r.findings[0].measurements.shortAxisMm = 12),
    ],
    ['findings[0].lungRads', (r: any) => void (r.findings[0].lungRads = '4C')],
    [
      'findings[0].keyImage.sopInstanceUid',
      (r: any) => void (r.findings[0].keyImage.sopInstanceUid = ''),
    ],
    ['findings[1].id', (r: any) => void r.findings.push({ ...r.findings[0] })],
    ['format', (r: any) => void (r.format = 'other/2')],
  ])('names %s when it is wrong', (field, mutate) => {
    const error = refusal(mutate)
    expect(error.field).toBe(field)
    expect(error.message.startsWith(`${field}: `)).toBe(true)
  })

  it('refuses an unknown field (a misspelt optional field is not dropped silently)', () => {
    const error = refusal((r: any) => void (r.findings[0].keyimage = r.findings[0].keyImage))
    expect(error.field).toBe('findings[0]')
    expect(error.message).toContain('keyimage')
  })

  it('accepts a finding code outside the known kinds, for an informational card', () => {
    const input: any = validResult()
    input.findings[0] = {
      id: 'f1',
      type: { system: 'http://snomed.info/sct', code: '233604007', display: 'Pneumonia' },
    }
    expect(parseAiResult(input).findings[0]?.type).toMatchObject({ code: '233604007' })
  })
})
