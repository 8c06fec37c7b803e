/**
 * @module stack/dicom/font
 * A 5x7 bitmap font, just the characters of the labels burned into synthetic images
 * ("SERIES 2 IMAGE 7/16"), so a person can tell which image a viewer shows.
 */
const GLYPHS: Record<string, string> = {
  '0': '01110 10001 10011 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11110 00001 00001 01110 00001 00001 11110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  A: '01110 10001 10001 11111 10001 10001 10001',
  E: '11111 10000 10000 11110 10000 10000 11111',
  G: '01110 10001 10000 10111 10001 10001 01111',
  I: '01110 00100 00100 00100 00100 00100 01110',
  M: '10001 11011 10101 10101 10001 10001 10001',
  R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110',
  '/': '00001 00010 00010 00100 01000 01000 10000',
  ' ': '00000 00000 00000 00000 00000 00000 00000',
}

/**
 * Draws `label` into a row-major image of `width` pixels, top-left at (x, y), each font pixel a
 * `scale` x `scale` block set to `value`. Unknown characters are left blank.
 */
export function burnText(
  pixels: Uint16Array,
  width: number,
  label: string,
  at: { x: number; y: number; scale: number; value: number }
): void {
  const height = pixels.length / width
  ;[...label.toUpperCase()].forEach((ch, index) => {
    const rows = (GLYPHS[ch] ?? GLYPHS[' ']!).split(' ')
    rows.forEach((bits, row) => {
      ;[...bits].forEach((bit, col) => {
        if (bit !== '1') return
        for (let dy = 0; dy < at.scale; dy++)
          for (let dx = 0; dx < at.scale; dx++) {
            const px = at.x + (index * 6 + col) * at.scale + dx
            const py = at.y + row * at.scale + dy
            if (px < width && py < height) pixels[py * width + px] = at.value
          }
      })
    })
  })
}
