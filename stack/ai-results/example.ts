/**
 * @module stack/ai-results/example
 * The example AI run of docs/ai-results.md (a solid 8.6 mm nodule, Lung-RADS 4A, with its key
 * image), shared by the writer's tests.
 */
export const exampleAiResult = () => ({
  format: 'imaging-cds.ai-result/1',
  study: { studyInstanceUid: '1.2.3' },
  model: { name: 'SynthLung Nodule CAD', version: '3.2.0', clearance: 'K000000 (synthetic)' },
  run: { completed: '2026-11-16T14:21:00Z' },
  confidence: 0.91,
  conclusion: 'Solid nodule, right upper lobe, 8.6 mm.',
  findings: [
    {
      id: 'nodule-1',
      type: 'pulmonary-nodule',
      lobe: 'RUL',
      measurements: { longAxisMm: 9.2, shortAxisMm: 8.0 },
      solidness: 'solid',
      lungRads: '4A',
      confidence: 0.91,
      keyImage: { seriesInstanceUid: '1.2.3.2', sopInstanceUid: '1.2.3.2.7' },
    },
  ],
})
