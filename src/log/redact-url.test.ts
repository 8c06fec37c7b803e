import { describe, expect, it } from 'vitest'
import { redactUrl } from './redact-url'

describe('redactUrl', () => {
  it.each([
    ['redis://user:s3cret@redis.internal:6379/0', 'redis://user:***@redis.internal:6379/0'],
    ['postgres://app:s3cret@db.internal/cds', 'postgres://app:***@db.internal/cds'],
    [
      'postgres://app@db.internal/cds?password=s3cret&sslmode=require',
      'postgres://app@db.internal/cds?password=***&sslmode=require',
    ],
    ['postgres://db.internal/cds?sslpassword=s3cret', 'postgres://db.internal/cds?sslpassword=***'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['not a url s3cret', '(unparseable URL)'],
  ])('%s is shown as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown)
    expect(redactUrl(url)).not.toContain('s3cret')
  })
})
