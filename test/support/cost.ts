/**
 * @module test/support/cost
 * Compares what an adversarial call costs with what a normal call costs, as a ratio measured in
 * the same test (never an absolute time): the two kinds of call alternate, so a loaded machine
 * slows both alike, and the medians of several runs keep one GC pause or scheduler hiccup from
 * deciding the result.
 */

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * The ratio of the median time of `adversarial` to the median time of `normal`, over `runs`
 * alternating runs of each after one warm-up of each. The normal median is floored at 1 ms so
 * that a very fast normal call cannot turn noise into a large ratio.
 * @example expect(await costRatio(() => post(normalBody), () => post(attackBody))).toBeLessThan(10)
 */
export async function costRatio(
  normal: () => Promise<unknown>,
  adversarial: () => Promise<unknown>,
  runs = 5
): Promise<number> {
  await normal()
  await adversarial()
  const normalMs: number[] = []
  const adversarialMs: number[] = []
  for (let i = 0; i < runs; i++) {
    let started = performance.now()
    await normal()
    normalMs.push(performance.now() - started)
    started = performance.now()
    await adversarial()
    adversarialMs.push(performance.now() - started)
  }
  return median(adversarialMs) / Math.max(1, median(normalMs))
}
