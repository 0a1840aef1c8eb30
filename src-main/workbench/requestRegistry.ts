// The table of request handlers both transports (Electron IPC, the web host) dispatch into: unknown names
// and parameters that do not match the contract's schema (src-shared/contractSchemas.ts) are refused
// here, before any handler runs.

import type { ParamsOf, RequestName, ResultOf } from '../../src-shared/contract'
import { isRequestName } from '../../src-shared/contract'
import { REQUEST_PARAMS } from '../../src-shared/contractSchemas'
import { describeFirstIssue } from '../../src-shared/schemaIssues'
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
    // The shape of the params, by the contract's schema; handlers check what the values mean.
    const checked = REQUEST_PARAMS[name].safeParse(params ?? {}, { reportInput: true })
    if (!checked.success) {
      const { field, message } = describeFirstIssue(checked.error)
      throw new RequestError('BAD_REQUEST', `Request '${name}': ${field ? `parameter ${message}` : message}`, field ? { parameter: field } : {})
    }
    return await this.handlers.get(name)!(checked.data as never)
  }
}
