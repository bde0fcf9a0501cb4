// The staff event stream (/api/v1/staff/ws, authenticated by the session cookie), reconnecting
// with backoff; listeners get every event, and `connected` drives the "live" badge.
import { ref } from 'vue'

export type StaffEvent = { type: string } & Record<string, unknown>
type Listener = (event: StaffEvent) => void

export const connected = ref(false)
const listeners = new Set<Listener>()
let socket: WebSocket | null = null
let retry = 0
let stopped = true
let timer: number | undefined

export function onStaffEvent(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function startStream(): void {
  if (!stopped) return
  stopped = false
  open()
}

export function stopStream(): void {
  stopped = true
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
    }
    listeners.forEach((listener) => listener(event))
  }
  ws.onclose = () => {
    connected.value = false
    if (socket === ws) socket = null
    if (stopped) return
    retry = Math.min(retry + 1, 6)
    timer = window.setTimeout(open, 500 * 2 ** retry)
  }
}
