/**
 * The import graph of the service (src/ and the wording in cards/, tests left out): no cycles,
 * type-only imports included, and only the card builders (src/cards/) read the top-level wording,
 * so a reader finds where a card's words come from in one hop. Imports are read with TypeScript's
 * own pre-processor, not a regular expression.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : []
  })
}

/** The repository file a relative specifier names (`./x` is x.ts or x/index.ts), else undefined. */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''))
  return [`${base}.ts`, join(base, 'index.ts'), base].find(
    (p) => existsSync(p) && statSync(p).isFile()
  )
}

/** Every file under src/ and cards/ with the repository files it imports (paths from ROOT). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'cards'))]) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets = importedFiles
      .map((i) => resolveImport(file, i.fileName))
      .filter((p): p is string => p !== undefined)
      .map((p) => relative(ROOT, p))
    graph.set(relative(ROOT, file), [...new Set(targets)])
  }
  return graph
}

/** The strongly connected components with more than one file, or a file importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

describe('import graph', () => {
  const graph = importGraph()

  it('reads the whole service', () => {
    expect(graph.size).toBeGreaterThan(50)
    expect(graph.get('src/app.ts')).toContain('src/services/invoke.ts')
  })

  it('has no cycles', () => {
    expect(cycles(graph)).toEqual([])
  })

  it('finds a cycle when there is one (the check itself)', () => {
    const looped = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ])
    expect(cycles(looped)).toEqual([['a.ts', 'b.ts', 'c.ts']])
  })

  it('lets only the card builders (src/cards/) import the wording in cards/', () => {
    const readers = [...graph]
      .filter(
        ([file, targets]) => file.startsWith('src/') && targets.some((t) => t.startsWith('cards/'))
      )
      .map(([file]) => file)
    expect(readers.length).toBeGreaterThan(0)
    expect(readers.filter((file) => !file.startsWith('src/cards/'))).toEqual([])
  })
})
