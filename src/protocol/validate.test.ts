/**
 * @module protocol/validate.test
 * The response validator: realistic bodies pass, and each rule has a failing example whose error
 * names the offending JSON path.
 */
import { describe, expect, it } from 'vitest'
import { expectValidResponse } from '../../test/support/validate-responses'
import { operationOutcome } from './outcome'
import {
  assertValidCdsResponse,
  assertValidDiscovery,
  findEmptyValues,
  formatPath,
  validateCdsResponse,
  validateDiscovery,
  validateFeedbackRequest,
  validateOperationOutcome,
  type ValidationResult,
} from './validate'

/** Fixtures are mutated freely to break one rule at a time, so they are deliberately untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any

const CARD_UUID = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
const SUGGESTION_UUID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427'
const STUDY_UID = '1.2.840.113619.2.55.3.604688119.969.1268071029.320'

/** A card as the nodule rules would produce it: a follow-up CT order, an OHIF link, reasons. */
function noduleCard(): Record<string, unknown> {
  return {
    uuid: CARD_UUID,
    summary: 'Lung-RADS 4A: 9 mm solid nodule, right upper lobe. Low-dose chest CT in 3 months.',
    detail:
      '**AI finding** (model v2.1, confidence 0.93)\n\n| Size | Type |\n| --- | --- |\n| 9 mm | solid |',
    indicator: 'warning',
    source: {
      label: 'ACR Lung-RADS v2022',
      url: 'https://www.acr.org/Clinical-Resources/Reporting-and-Data-Systems/Lung-Rads',
      icon: 'https://cds.example.org/icons/lung-rads.png',
      topic: { system: 'http://example.org/cds-topics', code: 'lung-nodule-follow-up' },
    },
    suggestions: [
      {
        label: 'Order low-dose chest CT in 3 months',
        uuid: SUGGESTION_UUID,
        isRecommended: true,
        actions: [
          {
            type: 'create',
            description: 'Draft order: CT chest for screening without contrast, due 2026-03-01',
            resource: {
              resourceType: 'ServiceRequest',
              status: 'draft',
              intent: 'proposal',
              code: {
                coding: [
                  {
                    system: 'http://loinc.org',
                    code: '79086-5',
                    display: 'CT Chest for screening WO contrast',
                  },
                ],
              },
              subject: { reference: 'Patient/pat-1' },
              occurrenceDateTime: '2026-03-01',
              reasonReference: [{ reference: 'Observation/nodule-1' }],
            },
          },
        ],
      },
    ],
    selectionBehavior: 'at-most-one',
    overrideReasons: [
      {
        system: 'http://example.org/override-reason',
        code: 'already-followed',
        display: 'Already being followed elsewhere',
      },
      { system: 'http://example.org/override-reason', code: 'benign', display: 'Known benign' },
    ],
    links: [
      {
        label: 'Open study in OHIF',
        url: `https://viewer.example.org/viewer?StudyInstanceUIDs=${STUDY_UID}`,
        type: 'absolute',
      },
    ],
  }
}

const response = (...cards: unknown[]) => ({ cards })

const discovery = (): { services: Record<string, Loose>[] } => ({
  services: [
    {
      hook: 'org.example.imaging-study-complete',
      title: 'AI imaging findings',
      description: 'Shows AI findings with their guideline follow-up.',
      id: 'imaging-ai-findings',
      prefetch: {
        patient: 'Patient/{{context.patientId}}',
        study: 'ImagingStudy/{{context.imagingStudyId}}',
        findings: 'Observation?patient={{context.patientId}}&category=imaging',
        user: 'Practitioner/{{userPractitionerId}}',
      },
      usageRequirements: 'Needs read access to ImagingStudy and Observation.',
    },
    {
      hook: 'order-select',
      description: 'Prior AI findings for the selected imaging order.',
      id: 'imaging-ai-order-check',
      extension: { 'org.example.owner': 'radiology' },
    },
  ],
})

const feedback = (entry: Record<string, unknown>) => ({
  feedback: [{ card: CARD_UUID, outcomeTimestamp: '2021-12-11T10:05:31Z', ...entry }],
})

/** The errors of a failed result (fails the test if it passed). */
function errorsOf(result: ValidationResult): string[] {
  expect(result.ok, 'expected a validation failure').toBe(false)
  return result.ok ? [] : result.errors
}

/** Asserts one error starts with `path: ` and mentions `text`. */
function expectError(result: ValidationResult, path: string, text: string | RegExp) {
  const errors = errorsOf(result)
  const atPath = errors.filter((e) => e.startsWith(`${path}: `))
  expect(atPath, `no error at ${path}; got:\n${errors.join('\n')}`).not.toEqual([])
  expect(atPath.some((e) => (typeof text === 'string' ? e.includes(text) : text.test(e)))).toBe(
    true
  )
}

/** Applies `mutate` to a fresh valid card and validates the response holding it. */
function withCard(mutate: (card: Record<string, Loose>) => void): ValidationResult {
  const card = noduleCard()
  mutate(card)
  return validateCdsResponse(response(card))
}

describe('valid bodies pass', () => {
  it('a realistic card with a ServiceRequest suggestion, an OHIF link and override reasons', () => {
    expect(validateCdsResponse(response(noduleCard()))).toEqual({ ok: true })
    expect(() => assertValidCdsResponse(response(noduleCard()))).not.toThrow()
  })

  it('an empty cards response', () => {
    expect(validateCdsResponse({ cards: [] })).toEqual({ ok: true })
  })

  it('a minimal info card, systemActions and a response extension', () => {
    const body = {
      cards: [{ summary: 'No AI findings.', indicator: 'info', source: { label: 'Imaging AI' } }],
      systemActions: [
        {
          type: 'delete',
          description: 'Withdraw the stale draft',
          resourceId: 'ServiceRequest/a1',
        },
      ],
      extension: { 'org.example.trace': 'abc' },
    }
    expect(validateCdsResponse(body)).toEqual({ ok: true })
  })

  it('several recommended suggestions with selectionBehavior any, an update and a smart link', () => {
    const result = withCard((card) => {
      card.selectionBehavior = 'any'
      card.suggestions.push({
        label: 'Revise the draft order',
        uuid: 'b3f0c7f6-4e1a-4c2d-9a1e-2f6d8c9b0a11',
        isRecommended: true,
        actions: [
          {
            type: 'update',
            description: 'Change the selected order to CT chest without contrast',
            resource: {
              resourceType: 'ServiceRequest',
              id: 'draft-1',
              status: 'draft',
              intent: 'order',
              subject: { reference: 'Patient/pat-1' },
              code: { coding: [{ system: 'http://loinc.org', code: '29252-4' }] },
            },
          },
        ],
      })
      card.links.push({
        label: 'Nodule tracker',
        url: 'https://apps.example.org/launch',
        type: 'smart',
        appContext: 'opaque-123',
        autolaunchable: false,
      })
    })
    expect(result).toEqual({ ok: true })
  })

  it('a discovery document, and one with no services', () => {
    expect(validateDiscovery(discovery())).toEqual({ ok: true })
    expect(() => assertValidDiscovery(discovery())).not.toThrow()
    expect(validateDiscovery({ services: [] })).toEqual({ ok: true })
  })

  it('feedback as the sandbox sends it', () => {
    const accepted = feedback({
      outcome: 'accepted',
      acceptedSuggestions: [{ id: SUGGESTION_UUID }],
    })
    const overridden = feedback({
      outcome: 'overridden',
      overrideReason: { reason: { code: 'benign', system: 'http://example.org/override-reason' } },
      outcomeTimestamp: '2021-12-11T10:05:31.123Z',
    })
    const comment = feedback({ outcome: 'overridden', overrideReason: { userComment: 'Seen' } })
    expect(validateFeedbackRequest(accepted)).toEqual({ ok: true })
    expect(validateFeedbackRequest(overridden)).toEqual({ ok: true })
    expect(validateFeedbackRequest(comment)).toEqual({ ok: true })
    expect(validateFeedbackRequest(feedback({ outcome: 'overridden' }))).toEqual({ ok: true })
  })

  it('an OperationOutcome with diagnostics or details.text', () => {
    const issue = { severity: 'error', code: 'incomplete', diagnostics: 'No ImagingStudy' }
    expect(validateOperationOutcome({ resourceType: 'OperationOutcome', issue: [issue] })).toEqual({
      ok: true,
    })
    const withText = { severity: 'fatal', code: 'exception', details: { text: 'Boom' } }
    expect(
      validateOperationOutcome({ resourceType: 'OperationOutcome', issue: [withText] })
    ).toEqual({ ok: true })
  })
})

describe('card rules', () => {
  it('summary: 139 characters pass, 140 fail (counted in code points)', () => {
    expect(withCard((c) => (c.summary = 'a'.repeat(139)))).toEqual({ ok: true })
    expect(withCard((c) => (c.summary = '🫁'.repeat(139)))).toEqual({ ok: true })
    expectError(
      withCard((c) => (c.summary = 'a'.repeat(140))),
      'cards[0].summary',
      'shorter than 140 characters (is 140)'
    )
  })

  it('summary is required', () => {
    expectError(
      withCard((c) => delete c.summary),
      'cards[0].summary',
      'required'
    )
  })

  it('suggestions without selectionBehavior', () => {
    expectError(
      withCard((c) => delete c.selectionBehavior),
      'cards[0].selectionBehavior',
      'required when suggestions are present'
    )
  })

  it('an unknown indicator or selectionBehavior', () => {
    expectError(
      withCard((c) => (c.indicator = 'hard-stop')),
      'cards[0].indicator',
      'critical'
    )
    expectError(
      withCard((c) => (c.selectionBehavior = 'exactly-one')),
      'cards[0].selectionBehavior',
      'at-most-one'
    )
  })

  it('two recommended suggestions with at-most-one', () => {
    const result = withCard((c) =>
      c.suggestions.push({ label: 'Order PET/CT', isRecommended: true })
    )
    expectError(result, 'cards[0].suggestions[1].isRecommended', 'only one suggestion')
  })

  it('an override reason without display', () => {
    expectError(
      withCard((c) => delete c.overrideReasons[1].display),
      'cards[0].overrideReasons[1].display',
      'required'
    )
  })

  it('card and suggestion uuids must be real UUIDs and unique within the response', () => {
    expectError(
      withCard((c) => (c.uuid = 'card-1')),
      'cards[0].uuid',
      'must be a UUID'
    )
    const second = noduleCard()
    second.uuid = 'c56a4180-65aa-42ec-a945-5fd21dec0538'
    expectError(
      validateCdsResponse(response(noduleCard(), second)),
      'cards[1].suggestions[0].uuid',
      `duplicate uuid ${SUGGESTION_UUID}`
    )
    expectError(
      validateCdsResponse(response(noduleCard(), noduleCard())),
      'cards[1].uuid',
      'already used by cards[0]'
    )
  })

  it('source and link URLs must be absolute', () => {
    expectError(
      withCard((c) => (c.source.url = '/about')),
      'cards[0].source.url',
      'absolute'
    )
    expectError(
      withCard((c) => (c.links[0].url = 'viewer?StudyInstanceUIDs=1.2.3')),
      'cards[0].links[0].url',
      'absolute'
    )
  })

  it('appContext on an absolute link', () => {
    expectError(
      withCard((c) => (c.links[0].appContext = 'study=1.2.3')),
      'cards[0].links[0].appContext',
      'only allowed on links of type smart'
    )
  })

  it('an unknown member (typo) is reported; extension is the place for extras', () => {
    expectError(
      withCard((c) => (c.selectionbehavior = 'any')),
      'cards[0]',
      'selectionbehavior'
    )
  })
})

describe('action and order rules', () => {
  type Action = Record<string, Loose>
  const firstAction = (c: Record<string, Loose>): Action => c.suggestions[0].actions[0]

  it('LOINC 36643-5 (a chest X-ray) in an order', () => {
    const result = withCard((c) => (firstAction(c).resource.code.coding[0].code = '36643-5'))
    expectError(
      result,
      'cards[0].suggestions[0].actions[0].resource.code.coding[0].code',
      'XR Chest 2 Views'
    )
  })

  it('a ServiceRequest without status, intent and subject', () => {
    const result = withCard((c) => {
      const sr = firstAction(c).resource
      delete sr.status
      delete sr.intent
      delete sr.subject
    })
    const at = 'cards[0].suggestions[0].actions[0].resource'
    expectError(result, `${at}.status`, 'required on a ServiceRequest')
    expectError(result, `${at}.intent`, 'required on a ServiceRequest')
    expectError(result, `${at}.subject`, 'required on a ServiceRequest')
  })

  it('a create without resource or resourceType, a delete without resourceId', () => {
    const at = 'cards[0].suggestions[0].actions[0]'
    expectError(
      withCard((c) => delete firstAction(c).resource),
      `${at}.resource`,
      'required for a create action'
    )
    expectError(
      withCard((c) => delete firstAction(c).resource.resourceType),
      `${at}.resource.resourceType`,
      'required'
    )
    expectError(
      withCard((c) => {
        c.suggestions[0].actions = [{ type: 'delete', description: 'Remove the draft' }]
      }),
      `${at}.resourceId`,
      'required for a delete action'
    )
    expectError(
      withCard((c) => {
        c.suggestions[0].actions = [
          { type: 'delete', description: 'Remove', resourceId: 'https://x.org/ServiceRequest/1' },
        ]
      }),
      `${at}.resourceId`,
      'relative reference'
    )
  })

  it('an action without description, an unknown action type', () => {
    const at = 'cards[0].suggestions[0].actions[0]'
    expectError(
      withCard((c) => delete firstAction(c).description),
      `${at}.description`,
      'required'
    )
    expectError(
      withCard((c) => (firstAction(c).type = 'replace')),
      `${at}.type`,
      'create'
    )
  })

  it('systemActions follow the same action rules', () => {
    const body = {
      cards: [],
      systemActions: [
        {
          type: 'create',
          description: 'Auto-draft',
          resource: {
            resourceType: 'ServiceRequest',
            status: 'draft',
            intent: 'proposal',
            subject: { reference: 'Patient/p' },
            code: { coding: [{ system: 'http://loinc.org', code: '36643-5' }] },
          },
        },
      ],
    }
    expectError(
      validateCdsResponse(body),
      'systemActions[0].resource.code.coding[0].code',
      '36643-5'
    )
  })
})

describe('J2: no null or empty values', () => {
  it('null anywhere, with its path', () => {
    expectError(
      withCard((c) => (c.detail = null)),
      'cards[0].detail',
      'null is not allowed'
    )
    expectError(
      withCard((c) => (firstResource(c).occurrenceDateTime = null)),
      'cards[0].suggestions[0].actions[0].resource.occurrenceDateTime',
      'null is not allowed'
    )
    expectError(validateCdsResponse({ cards: null }), 'cards', 'null is not allowed')
  })

  it('an empty string', () => {
    const result = withCard((c) => (c.source.label = ''))
    expectError(result, 'cards[0].source.label', 'empty string')
    // One message per offence: zod's own "too small" at the same path is folded into J2's.
    expect(errorsOf(result).filter((e) => e.startsWith('cards[0].source.label'))).toHaveLength(1)
  })

  it('an empty array inside a card', () => {
    expectError(
      withCard((c) => (c.links = [])),
      'cards[0].links',
      'empty array'
    )
    expectError(
      withCard((c) => (firstResource(c).reasonReference = [])),
      'cards[0].suggestions[0].actions[0].resource.reasonReference',
      'empty array'
    )
  })

  it('an empty object, and empty arrays other than the top-level cards/services', () => {
    expectError(
      withCard((c) => (c.extension = {})),
      'cards[0].extension',
      'empty object'
    )
    expectError(validateCdsResponse({ cards: [], systemActions: [] }), 'systemActions', 'empty')
    expectError(
      validateDiscovery({ services: [{ ...discovery().services[1], prefetch: {} }] }),
      'services[0].prefetch',
      'empty object'
    )
  })

  it('findEmptyValues and formatPath report JSON paths', () => {
    const found = findEmptyValues({ a: [{ b: '' }], extension: { 'org.example.x': null } })
    expect(found.map((f) => formatPath(f.path))).toEqual(['a[0].b', 'extension["org.example.x"]'])
    expect(formatPath([])).toBe('$')
  })

  it('several problems are all reported in one pass', () => {
    const result = withCard((c) => {
      c.detail = null
      c.summary = 'x'.repeat(200)
      delete c.selectionBehavior
      c.links[0].appContext = 'a'
    })
    const errors = errorsOf(result)
    expect(errors.length).toBeGreaterThanOrEqual(4)
    expect(() => assertValidCdsResponse(response({ ...noduleCard(), detail: null }))).toThrow(
      /cards\[0\]\.detail: null is not allowed/
    )
  })
})

function firstResource(card: Record<string, Loose>): Record<string, Loose> {
  return card.suggestions[0].actions[0].resource
}

describe('discovery rules', () => {
  it('a service without description or id', () => {
    const body = discovery()
    delete body.services[1]!.description
    delete body.services[1]!.id
    const result = validateDiscovery(body)
    expectError(result, 'services[1].description', 'required')
    expectError(result, 'services[1].id', 'required')
  })

  it('prefetch templates: relative URLs with context or user tokens only', () => {
    const withTemplate = (template: string) => {
      const body = discovery()
      body.services[0]!.prefetch.study = template
      return validateDiscovery(body)
    }
    const at = 'services[0].prefetch.study'
    expectError(
      withTemplate('https://fhir.example.org/Patient/{{context.patientId}}'),
      at,
      'relative'
    )
    expectError(withTemplate('/Patient/{{context.patientId}}'), at, 'relative')
    expectError(withTemplate('Patient/{{context.medication.id}}'), at, 'unsupported token')
    expectError(withTemplate('Observation?date=gt{{today() - 90 days}}'), at, 'unsupported token')
    expectError(withTemplate('Patient/{{context.patientId}'), at, 'unbalanced')
  })

  it('the same id twice for the same hook', () => {
    const body = discovery()
    body.services.push({ ...body.services[1]! })
    expectError(
      validateDiscovery(body),
      'services[2]',
      'duplicate service id imaging-ai-order-check'
    )
  })

  it('services is required', () => {
    expectError(validateDiscovery({}), 'services', 'required')
  })
})

describe('feedback rules', () => {
  it('accepted feedback without acceptedSuggestions', () => {
    expectError(
      validateFeedbackRequest(feedback({ outcome: 'accepted' })),
      'feedback[0].acceptedSuggestions',
      'required when outcome is accepted'
    )
    expectError(
      validateFeedbackRequest(feedback({ outcome: 'accepted', acceptedSuggestions: [] })),
      'feedback[0].acceptedSuggestions',
      'at least one'
    )
  })

  it('a non-UTC or malformed timestamp', () => {
    const at = 'feedback[0].outcomeTimestamp'
    for (const ts of [
      '2021-12-11T10:05:31+01:00',
      '2021-12-11T10:05:31',
      '2021-12-11T10:05Z',
      '2021-02-30T10:05:31Z',
      '2021-12-11 10:05:31Z',
    ]) {
      expectError(
        validateFeedbackRequest(feedback({ outcome: 'overridden', outcomeTimestamp: ts })),
        at,
        'RFC 3339'
      )
    }
  })

  it('an override reason with neither reason nor comment; an unknown outcome', () => {
    expectError(
      validateFeedbackRequest(feedback({ outcome: 'overridden', overrideReason: {} })),
      'feedback[0].overrideReason',
      'reason, a userComment or both'
    )
    expectError(
      validateFeedbackRequest(feedback({ outcome: 'ignored' })),
      'feedback[0].outcome',
      'overridden'
    )
    expectError(validateFeedbackRequest({ feedback: [] }), 'feedback', 'at least one')
  })
})

describe('OperationOutcome rules', () => {
  it('accepts what protocol/outcome builds', () => {
    expect(validateOperationOutcome(operationOutcome('Bad hook', 'invalid', 'hook'))).toEqual({
      ok: true,
    })
    expect(validateOperationOutcome(operationOutcome('Too slow', 'timeout'))).toEqual({ ok: true })
  })

  it('needs a non-empty issue array and a readable message per issue', () => {
    expectError(
      validateOperationOutcome({ resourceType: 'OperationOutcome', issue: [] }),
      'issue',
      'empty'
    )
    expectError(
      validateOperationOutcome({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'invalid' }],
      }),
      'issue[0]',
      'diagnostics or details.text'
    )
    expectError(validateOperationOutcome({ error: 'nope' }), 'resourceType', 'required')
  })
})

describe('expectValidResponse', () => {
  const json = (body: unknown, status = 200, type = 'application/json') =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': type } })
  const outcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'login', diagnostics: 'Unauthorized' }],
  }

  it('accepts valid responses of each kind and returns the body, leaving it unread', async () => {
    const res = json(response(noduleCard()))
    await expect(expectValidResponse(res, 'service')).resolves.toEqual(response(noduleCard()))
    expect(res.bodyUsed).toBe(false)
    await expectValidResponse(json(discovery()), 'discovery')
    await expectValidResponse(new Response(null, { status: 200 }), 'feedback')
    await expectValidResponse(json({}), 'feedback')
    await expectValidResponse(json(outcome, 401, 'application/fhir+json; charset=utf-8'), 'service')
  })

  it('rejects invalid bodies, non-JSON errors and feedback bodies other than {}', async () => {
    await expect(expectValidResponse(json({ cards: [{}] }), 'service')).rejects.toThrow(
      /cards\[0\]\.summary: required/
    )
    await expect(
      expectValidResponse(new Response('Unauthorized', { status: 401 }), 'discovery')
    ).rejects.toThrow(/Content-Type/)
    await expect(expectValidResponse(json({ error: 'x' }, 400), 'feedback')).rejects.toThrow(
      /resourceType: required/
    )
    await expect(expectValidResponse(json({ ok: true }), 'feedback')).rejects.toThrow(
      /empty, {} or/
    )
  })
})
