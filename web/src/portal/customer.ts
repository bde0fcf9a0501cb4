// The customer's side: no login. A ticket's conversation token (returned when it was opened)
// is kept on this device so the customer can reply, reopen and rate later.
import { ApiClient } from '@shared/api'

export const api = new ApiClient()

const TOKENS_KEY = 'yiwen.portal.tickets'

export interface KeptTicket {
  token: string
  conversation_id: string
  contact: string | null
}

function all(): Record<string, KeptTicket> {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY) ?? '{}') as Record<string, KeptTicket>
  } catch {
    return {}
  }
}

export function keepTicket(number: string, kept: KeptTicket): void {
  localStorage.setItem(TOKENS_KEY, JSON.stringify({ ...all(), [number]: kept }))
}

export function keptTicket(number: string): KeptTicket | null {
  return all()[number] ?? null
}

export function keptNumbers(): string[] {
  return Object.keys(all())
}

/** Headers that prove this device holds the ticket's conversation. */
export function ticketHeaders(number: string): Record<string, string> {
  const kept = keptTicket(number)
  return kept ? { 'X-Conversation-Token': kept.token } : {}
}
