/**
 * @module scripts/lib/cli
 * The tail every command-line entry shares: run `main` only when its file is the one Node was
 * started with (a test may import the module), exit with the code it resolves, and exit 1 with
 * the error printed when it throws.
 */
import { pathToFileURL } from 'node:url'

/**
 * @param moduleUrl the entry's `import.meta.url`
 * @param options.fullErrors print the whole error (stack included), not only its message
 * @example runCli(import.meta.url, main)
 */
export function runCli(
  moduleUrl: string,
  main: () => Promise<number>,
  options: { fullErrors?: boolean } = {}
): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(options.fullErrors || !(err instanceof Error) ? err : err.message)
      process.exit(1)
    }
  )
}
