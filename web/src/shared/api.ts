// A small fetch client: JSON in and out, the API's {error: {code, message}} turned into ApiError,
// and the session's CSRF token on every cookie-authenticated write.
import { noteServerTime } from './time'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Whatever else the error carried (e.g. ``task`` of ``action_not_supported``). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  form?: FormData
  headers?: Record<string, string>
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export class ApiClient {
  csrfToken: string | null = null
  extraHeaders: Record<string, string> = {}
  onUnauthenticated: (() => void) | null = null

  constructor(readonly base = '/api/v1') {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query })
  }

  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.request<T>('POST', path, { body, headers })
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body })
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body })
  }

  upload<T>(path: string, file: File): Promise<T> {
    const form = new FormData()
    form.append('file', file)
    return this.request<T>('POST', path, { form })
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.extraHeaders }
    const lang = document.documentElement.lang
    if (lang) headers['Accept-Language'] = lang
    if (WRITE_METHODS.has(method) && this.csrfToken) headers['X-CSRF-Token'] = this.csrfToken
    let body: BodyInit | undefined
    if (options.form) {
      body = options.form
    } else if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    Object.assign(headers, options.headers ?? {})
    const sentAt = Date.now()
    const response = await fetch(this.base + path + queryString(options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
    })
    noteServerTime(response.headers.get('X-Server-Time'), sentAt, Date.now())
    if (response.status === 204) return undefined as T
    const text = await response.text()
    const data: unknown = text ? safeJson(text) : null
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string } & Record<string, unknown> } | null)?.error
      if (response.status === 401) this.onUnauthenticated?.()
      throw new ApiError(
        response.status,
        error?.code ?? `http_${response.status}`,
        error?.message ?? response.statusText,
        error ?? {},
      )
    }
    return data as T
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

export function queryString(query?: Query): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.append(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error) return error.message
  return String(error)
}

/** A fresh id for idempotency keys and client message ids. */
export function newKey(prefix: string): string {
  const random = crypto.getRandomValues(new Uint8Array(12))
  return prefix + '-' + Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('')
}
