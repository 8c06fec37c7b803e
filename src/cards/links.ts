/**
 * @module cards/links
 * OHIF Viewer v3 deep links (docs/ohif.md; the OHIF docs' URL parameters page, https://docs.ohif.org/configuration/url/): `<base>/viewer?StudyInstanceUIDs=<uid>`,
 * or `<base>/viewer/<dataSource>?…` when the study's DICOMweb Endpoint matches a configured
 * prefix, plus `initialSeriesInstanceUID` / `initialSopInstanceUID` for a key image (the study
 * link carries the key image's series too, so it opens on the finding's series). No viewer
 * base URL configured (or no StudyInstanceUID known), no link.
 */
import { words } from '../../cards/index'
import { trimTrailingSlashes } from '../text/index'
import type { KeyImage } from '../clinical/types'
import type { StudyEvidence } from '../evidence'
import type { CardOptions, Link } from './types'

/** The viewer route for a study: `/viewer`, or `/viewer/<name>` for a mapped data source. */
function viewerRoute(study: StudyEvidence, options: CardOptions): string {
  const address = study.endpoint?.address
  const source = address
    ? options.viewer.dataSources
        .filter((s) => s.dicomWebPrefix && address.startsWith(s.dicomWebPrefix))
        // The longest prefix is the most specific mapping.
        .sort((a, b) => b.dicomWebPrefix.length - a.dicomWebPrefix.length)[0]
    : undefined
  return source ? `viewer/${encodeURIComponent(source.name)}` : 'viewer'
}

/** The OHIF URL of a study (and key image), or undefined when no viewer or UID is known. */
export function viewerUrl(
  study: StudyEvidence,
  options: CardOptions,
  keyImage?: KeyImage
): string | undefined {
  const base = options.viewer.baseUrl?.trim()
  const uid = study.studyInstanceUid
  if (!base || !uid) return undefined
  let url: URL
  try {
    url = new URL(`${trimTrailingSlashes(base)}/${viewerRoute(study, options)}`)
  } catch {
    return undefined // not an absolute URL: a link the client cannot open is worse than none
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  const params = [`StudyInstanceUIDs=${encodeURIComponent(uid)}`]
  if (keyImage?.seriesInstanceUid) {
    params.push(`initialSeriesInstanceUID=${encodeURIComponent(keyImage.seriesInstanceUid)}`)
    if (keyImage.sopInstanceUid)
      params.push(`initialSopInstanceUID=${encodeURIComponent(keyImage.sopInstanceUid)}`)
  }
  return `${url.origin}${url.pathname}?${params.join('&')}`
}

/** A study description short enough for labels and summaries. */
export function studyLabel(study: StudyEvidence): string | undefined {
  const s = study.study
  const procedure = s.procedureCode?.[0]
  const modalities = [
    ...new Set(
      [...(s.modality ?? []), ...(s.series ?? []).map((x) => x.modality)].map((m) => m?.code)
    ),
  ].filter((m): m is string => !!m)
  return (
    s.description?.trim() ||
    procedure?.text?.trim() ||
    procedure?.coding?.find((c) => c.display)?.display?.trim() ||
    (modalities.length ? modalities.join('/') : undefined)
  )
}

/** The study link and, when the finding names a key image, a second link straight to it. */
export function studyLinks(
  study: StudyEvidence,
  options: CardOptions,
  keyImage?: KeyImage,
  label: string = words.links.study(studyLabel(study))
): Link[] {
  const links: Link[] = []
  // The study link opens the finding's series (OHIF keeps the others in its study browser).
  const studyUrl = viewerUrl(
    study,
    options,
    keyImage ? { seriesInstanceUid: keyImage.seriesInstanceUid } : undefined
  )
  if (studyUrl) links.push({ label, url: studyUrl, type: 'absolute' })
  const imageUrl = keyImage ? viewerUrl(study, options, keyImage) : undefined
  if (imageUrl && imageUrl !== studyUrl)
    links.push({ label: words.links.keyImage, url: imageUrl, type: 'absolute' })
  return links
}
