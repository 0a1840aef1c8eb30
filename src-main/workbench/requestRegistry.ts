// The table of request handlers both transports dispatch into: unknown names and malformed parameters
// are refused here, before any handler runs.

import type { ParamsOf, RequestName, ResultOf } from '../../src-shared/contract'
import { isRequestName } from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'

export type Handler<K extends RequestName> = (params: ParamsOf<K>) => Promise<ResultOf<K>> | ResultOf<K>

export class RequestRegistry {
  private readonly handlers = new Map<string, Handler<any>>()

  register<K extends RequestName>(name: K, handler: Handler<K>): void {
    this.handlers.set(name, handler)
  }

  async dispatch(name: string, params: unknown): Promise<unknown> {
    if (!isRequestName(name) || !this.handlers.has(name)) {
      throw new RequestError('UNKNOWN_REQUEST', `Unknown request '${name}'`)
    }
    if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
      throw new RequestError('BAD_REQUEST', `Request '${name}' needs an object of parameters`)
    }
    return await this.handlers.get(name)!((params ?? {}) as never)
  }
}
