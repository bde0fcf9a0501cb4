// The staff event stream (/api/v1/staff/ws, authenticated by the session cookie), reconnecting
// with backoff; listeners get every event, and `connected` drives the "live" badge. The console
// also announces on it which conversation its agent views or types in (the collision notice).
// Events sent while the socket was down are not replayed: the `ready` of a reconnection carries
// `reconnected: true`, and views that show stored data read it again then.
import { ref } from 'vue'

export type StaffEvent = { type: string } & Record<string, unknown>
type Listener = (event: StaffEvent) => void

export const connected = ref(false)
const listeners = new Set<Listener>()
// Collision announcements are frequent and change nothing stored: only their own listeners
// hear them, so views that reload on every event do not reload on them.
const presenceListeners = new Set<Listener>()
let socket: WebSocket | null = null
let retry = 0
let stopped = true
let timer: number | undefined
let everReady = false

export function onStaffEvent(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function onPresenceEvent(listener: Listener): () => void {
  presenceListeners.add(listener)
  return () => presenceListeners.delete(listener)
}

export function startStream(): void {
  if (!stopped) return
  stopped = false
  open()
}

export function stopStream(): void {
  stopped = true
  everReady = false
  window.clearTimeout(timer)
  socket?.close()
  socket = null
  connected.value = false
}

function open(): void {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/staff/ws`)
  socket = ws
  ws.onmessage = (message) => {
    let event: StaffEvent
    try {
      event = JSON.parse(String(message.data)) as StaffEvent
    } catch {
      return
    }
    if (event.type === 'ready') {
      connected.value = true
      retry = 0
      event = { ...event, reconnected: everReady }
      everReady = true
    }
    const audience = event.type === 'staff.presence' ? presenceListeners : listeners
    audience.forEach((listener) => listener(event))
  }
  ws.onclose = () => {
    connected.value = false
    if (socket === ws) socket = null
    if (stopped) return
    retry = Math.min(retry + 1, 6)
    timer = window.setTimeout(open, 500 * 2 ** retry)
  }
}

export type PresenceState = 'viewing' | 'typing' | 'left'

/** Tell the other agents what this one does in a conversation; dropped while disconnected
 *  (viewers repeat themselves every few seconds, so nothing needs to be queued). */
export function announce(conversationId: string, state: PresenceState): void {
  if (socket?.readyState !== WebSocket.OPEN) return
  socket.send(JSON.stringify({ type: 'presence', conversation_id: conversationId, state }))
}
