// What survives a page reload: the conversation token and messages not yet delivered.

import type { Session } from './api'

export interface Pending {
  clientMsgId: string
  body: string
  attachmentIds: string[]
  createdAt: string
  /** An image chosen while offline, not uploaded yet: kept as a data URL when small enough
   *  to survive a reload (the chat also holds the file itself until it is sent). */
  image?: { name: string; type: string; dataUrl: string | null }
}

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key)
    return raw ? (JSON.parse(raw) as T) : null
  } catch {
    return null // storage disabled (private mode) or corrupted: start afresh
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === null) localStorage.removeItem(key)
    else localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // Storage full or disabled: the chat still works, only without surviving a reload.
  }
}

export class WidgetStorage {
  private readonly prefix: string

  constructor(server: string) {
    this.prefix = `yiwen.widget:${server}:`
  }

  get session(): Session | null {
    const stored = read<Session>(this.prefix + 'session')
    return stored && typeof stored.token === 'string' && typeof stored.conversationId === 'string'
      ? stored
      : null
  }

  set session(value: Session | null) {
    write(this.prefix + 'session', value)
  }

  get pending(): Pending[] {
    const stored = read<Pending[]>(this.prefix + 'pending')
    return Array.isArray(stored) ? stored : []
  }

  set pending(value: Pending[]) {
    write(this.prefix + 'pending', value.length ? value : null)
  }

  get open(): boolean {
    return read<boolean>(this.prefix + 'open') === true
  }

  set open(value: boolean) {
    write(this.prefix + 'open', value || null)
  }
}

export function newClientMsgId(): string {
  const random =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  return `w-${random}`
}
