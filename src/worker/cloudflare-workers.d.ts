/**
 * @module worker/cloudflare-workers
 * Type of the one `cloudflare:workers` export we use (the Durable Object base class). workerd
 * provides the module at run time and wrangler leaves the import external when bundling.
 */
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: import('./types').DurableObjectState
    protected readonly env: Env
    constructor(ctx: import('./types').DurableObjectState, env: Env)
  }
}
