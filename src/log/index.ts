/**
 * @module log
 * Structured JSON logging, one line per event. Callers pass fields explicitly; nothing here
 * serialises requests, headers or bodies, so tokens and patient data cannot slip in by accident.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** Field values are primitives only: no objects, so no request or resource can be logged whole. */
export type LogFields = Record<string, string | number | boolean | undefined>

export interface Logger {
  debug(event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  error(event: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line (the request id, for example). */
  child(fields: LogFields): Logger
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** Writes JSON lines through `write` (console.log by default), dropping levels below `level`. */
export function createLogger(
  options: { level?: LogLevel; write?: (line: string) => void; base?: LogFields } = {}
): Logger {
  return fieldLogger(
    order[options.level ?? 'info'],
    options.write ?? ((line: string) => console.log(line)),
    options.base ?? {}
  )
}

const drop = () => {}

/**
 * A logger adding `base` to every line. Its children share the level and the writer (a child per
 * request and per hook call): only the fields are new, and a level below the minimum is a no-op.
 */
function fieldLogger(min: number, write: (line: string) => void, base: LogFields): Logger {
  const emit = (level: LogLevel) =>
    order[level] < min
      ? drop
      : function log(event: string, fields: LogFields = {}) {
          write(
            JSON.stringify({ time: new Date().toISOString(), level, event, ...base, ...fields })
          )
        }
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => fieldLogger(min, write, { ...base, ...fields }),
  }
}

/** A logger that drops everything (for tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ write: () => {} })
