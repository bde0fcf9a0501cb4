// The announcement banner (公告) at the top of the chat panel: what the shop announced right
// now, e.g. "某供应商充值延迟，预计30分钟内恢复". Text only (textContent): nothing in an
// announcement is ever parsed as HTML. Read from the public, briefly cached endpoint.

import { el } from './dom'

interface PublicAnnouncement {
  id: string
  title: string
  body: string
}

const REFRESH_MS = 5 * 60 * 1000

async function fetchAnnouncements(server: string): Promise<PublicAnnouncement[]> {
  try {
    const response = await fetch(`${server}/api/v1/public/announcements`, { mode: 'cors' })
    if (!response.ok) return []
    const data = (await response.json()) as { items?: PublicAnnouncement[] }
    return Array.isArray(data.items) ? data.items : []
  } catch {
    return [] // no banner is better than a broken chat
  }
}

function render(box: HTMLElement, items: PublicAnnouncement[]): void {
  box.replaceChildren(
    ...items.slice(0, 2).map((item) => {
      const line = el('p', { class: 'announcement' }, el('strong', {}, `【公告】${item.title}`), ' ', item.body)
      line.style.margin = '0'
      return line
    }),
  )
  box.hidden = items.length === 0
}

/** Put the banner under the chat panel's header and keep it current. */
export function mountAnnouncementBanner(root: ShadowRoot, server: string): void {
  const header = root.querySelector('section.panel > header')
  if (!header) return
  const box = el('div', { class: 'banner announcements', role: 'status', 'data-test': 'announcement-banner', hidden: true })
  box.style.background = '#e6f4ff'
  box.style.color = '#003a8c'
  box.style.lineHeight = '1.5'
  header.after(box)
  const refresh = async () => render(box, await fetchAnnouncements(server))
  void refresh()
  window.setInterval(() => void refresh(), REFRESH_MS)
}
