/**
 * @module stack/browser
 * Opens viewer links in headless Chromium (Debian's `/usr/bin/chromium`, driven by
 * playwright-core) and reports which image OHIF displays: the series and SOP instance of the
 * active viewport's current image, read from cornerstone (OHIF puts it on `window`). Used by
 * `npm run stack -- --check` to prove a key-image link lands on the key image.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_INSTALL =
  'apt-get update && apt-get install -y --no-install-recommends chromium'
/** Flags for a quiet, sandbox-free headless run in containers and CI. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]

export interface DisplayedImage {
  seriesInstanceUid?: string
  sopInstanceUid?: string
  /** The cornerstone image id (a WADO-RS frame URL). */
  imageId?: string
}

export interface ViewerCheck {
  url: string
  displayed?: DisplayedImage
  ms: number
  error?: string
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium is not installed (${CHROMIUM}). Install: ${CHROMIUM_INSTALL}`)
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
}

/**
 * Opens `url` and waits (up to `timeoutMs`) until OHIF shows an image whose SOP instance is
 * `want.sopInstanceUid` (or any image, without one). Saves a screenshot when asked.
 */
export async function openViewerLink(
  browser: Browser,
  url: string,
  want: { sopInstanceUid?: string },
  options: { screenshot?: string; timeoutMs?: number } = {}
): Promise<ViewerCheck> {
  const started = Date.now()
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: options.timeoutMs ?? 60_000 })
    const handle = await page.waitForFunction(
      (sop) => {
        const cs = (
          window as unknown as {
            cornerstone?: {
              getEnabledElements?: () => { viewport?: { getCurrentImageId?: () => string } }[]
            }
          }
        ).cornerstone
        const ids = (cs?.getEnabledElements?.() ?? [])
          .map((e) => e.viewport?.getCurrentImageId?.())
          .filter((id): id is string => typeof id === 'string')
        const hit = sop ? ids.find((id) => id.includes(`/instances/${sop}/`)) : ids[0]
        return hit ?? false
      },
      want.sopInstanceUid,
      { timeout: options.timeoutMs ?? 60_000, polling: 250 }
    )
    const imageId = (await handle.jsonValue()) as string
    // Let the image finish rendering before the picture is taken.
    await page.waitForTimeout(1500)
    if (options.screenshot) await page.screenshot({ path: options.screenshot })
    return { url, displayed: parseImageId(imageId), ms: Date.now() - started }
  } catch (err) {
    return { url, ms: Date.now() - started, error: (err as Error).message.split('\n')[0] }
  } finally {
    await page.close()
  }
}

/** `wadors:http://…/studies/S/series/R/instances/I/frames/1` → series R and instance I. */
export function parseImageId(imageId: string): DisplayedImage {
  const series = imageId.match(/\/series\/([0-9.]+)\//)?.[1]
  const sop = imageId.match(/\/instances\/([0-9.]+)\//)?.[1]
  return {
    imageId,
    ...(series ? { seriesInstanceUid: series } : {}),
    ...(sop ? { sopInstanceUid: sop } : {}),
  }
}
