// Times are shown in Beijing time whatever the agent's machine says.
const ZONE = 'Asia/Shanghai'

export function formatTime(value: string | null | undefined, withDate = true): string {
  if (!value) return '—'
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return value
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: ZONE,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  const clock = `${get('hour')}:${get('minute')}`
  return withDate ? `${get('month')}-${get('day')} ${clock}` : clock
}

// How far the server's clock is ahead of this machine's, from the X-Server-Time header of the
// last quick API answer. Deadlines are written by the server, so countdowns run on its time.
let serverOffset = 0
let offsetRoundTrip = Number.POSITIVE_INFINITY
let offsetNotedAt = 0
const OFFSET_TRUST_MS = 60_000

export function noteServerTime(header: string | null, sentAt: number, receivedAt: number): void {
  const server = header === null ? Number.NaN : Number(header)
  if (!Number.isFinite(server)) return
  const roundTrip = receivedAt - sentAt
  // A slow answer says less about the moment it was stamped: keep the quickest recent one.
  if (roundTrip > offsetRoundTrip && receivedAt - offsetNotedAt < OFFSET_TRUST_MS) return
  serverOffset = server - (sentAt + roundTrip / 2)
  offsetRoundTrip = roundTrip
  offsetNotedAt = receivedAt
}

/** The server's time now, in epoch milliseconds (this machine's until an API answer says otherwise). */
export function serverNow(): number {
  return Date.now() + serverOffset
}

/** Signed minutes from now until ``value`` (negative once it has passed). */
export function minutesUntil(value: string | null | undefined, now: number): number | null {
  if (!value) return null
  const at = new Date(value).getTime()
  if (Number.isNaN(at)) return null
  return Math.round((at - now) / 60000)
}

export function formatDuration(minutes: number): string {
  const sign = minutes < 0 ? '-' : ''
  const m = Math.abs(minutes)
  if (m < 60) return `${sign}${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${sign}${h}h${m % 60 ? (m % 60) + 'm' : ''}`
  return `${sign}${Math.floor(h / 24)}d`
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—'
  return formatDuration(Math.round(seconds / 60))
}
