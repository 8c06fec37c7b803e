import { describe, expect, it } from 'vitest'
import { isFhirServerAllowed } from './fhir-allowlist'
import { parseFhirAllowlist } from './url'
import type { Caller } from './verify'

// '*' stands for the dev-mode caller (src/auth/middleware.ts devCaller).
const caller = (...fhirServers: string[]): Caller => ({
  iss: 'i',
  jti: 'j',
  fhirAllowlist: fhirServers.includes('*') ? 'any' : parseFhirAllowlist(fhirServers),
})

describe('isFhirServerAllowed', () => {
  const r4 = caller('https://fhir.example.org/r4')

  it.each([
    'https://fhir.example.org/r4',
    'https://fhir.example.org/r4/',
    'https://fhir.example.org/r4/Patient/1',
    'https://FHIR.Example.org/r4',
    'https://fhir.example.org:443/r4',
  ])('allows %s under https://fhir.example.org/r4', (url) => {
    expect(isFhirServerAllowed(r4, url)).toBe(true)
  })

  it.each([
    'https://fhir.example.org/r4evil',
    'https://fhir.example.org/r',
    'https://fhir.example.org/R4',
    'https://fhir.example.org',
    'https://fhir.example.org.evil.com/r4',
    'https://evil.com/fhir.example.org/r4',
    'https://fhir.example.org@evil.com/r4',
    'https://user@fhir.example.org/r4',
    'http://fhir.example.org/r4',
    'https://fhir.example.org:8443/r4',
    'https://fhir.example.org/r4/../admin',
    'https://fhir.example.org/r4/%2e%2e/admin',
    'https://fhir.example.org/r4%2F..%2Fadmin',
    // Issue 14: `..;` is `..` to Tomcat and Jetty; encoded separators in any case.
    'https://fhir.example.org/r4/..;/admin',
    'https://fhir.example.org/r4/x/..;/..;/admin',
    'https://fhir.example.org/r4;jsessionid=1',
    'https://fhir.example.org/r4/..%5cadmin',
    'https://fhir.example.org/r4/..%5Cadmin',
    'https://fhir.example.org/r4/x/../Patient',
    'https://fhir.example.org/r4\\..\\admin',
    'https://fhir.example.org/r4?x=1',
    'https://fhir.example.org/r4#frag',
    'fhir.example.org/r4',
    'javascript:alert(1)',
    '',
  ])('refuses %s', (url) => {
    expect(isFhirServerAllowed(r4, url)).toBe(false)
  })

  it('treats a trailing slash on the configured base like none', () => {
    const withSlash = caller('https://fhir.example.org/r4/')
    expect(isFhirServerAllowed(withSlash, 'https://fhir.example.org/r4')).toBe(true)
    expect(isFhirServerAllowed(withSlash, 'https://fhir.example.org/r4evil')).toBe(false)
  })

  it('allows a whole origin when the base has no path, on its default port only', () => {
    const origin = caller('https://launch.smarthealthit.org')
    expect(isFhirServerAllowed(origin, 'https://launch.smarthealthit.org/v/r2/fhir')).toBe(true)
    expect(isFhirServerAllowed(origin, 'https://launch.smarthealthit.org:8443/fhir')).toBe(false)
    expect(isFhirServerAllowed(origin, 'https://launch.smarthealthit.org.evil.com/')).toBe(false)
  })

  it('allows any port only with an explicit :* entry', () => {
    const local = caller('http://localhost:*', 'http://127.0.0.1')
    expect(isFhirServerAllowed(local, 'http://localhost:8103/fhir/R4')).toBe(true)
    expect(isFhirServerAllowed(local, 'http://localhost/fhir')).toBe(true)
    expect(isFhirServerAllowed(local, 'https://localhost:8103/fhir')).toBe(false)
    expect(isFhirServerAllowed(local, 'http://127.0.0.1/fhir')).toBe(true)
    expect(isFhirServerAllowed(local, 'http://127.0.0.1:8080/fhir')).toBe(false)
    expect(isFhirServerAllowed(local, 'http://localhost.evil.com:8080/fhir')).toBe(false)
  })

  it('allows any http(s) URL in dev mode, but nothing else', () => {
    const dev = caller('*')
    expect(isFhirServerAllowed(dev, 'http://anything.example:1234/fhir')).toBe(true)
    expect(isFhirServerAllowed(dev, 'file:///etc/passwd')).toBe(false)
    expect(isFhirServerAllowed(dev, 'not a url')).toBe(false)
  })

  it('allows nothing when the caller has no FHIR servers', () => {
    expect(isFhirServerAllowed(caller(), 'https://fhir.example.org/r4')).toBe(false)
  })
})
