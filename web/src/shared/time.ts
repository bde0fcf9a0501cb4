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
