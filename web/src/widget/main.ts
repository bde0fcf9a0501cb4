// Entry of widget.js: one <script src=".../widget.js" data-yiwen-...> tag on a shop's page.

import { mountAnnouncementBanner } from './banner'
import { Chat } from './chat'
import { readConfig } from './config'
import css from './widget.css?inline'

declare global {
  interface Window {
    YiwenWidget?: { open(): void; close(): void }
  }
}

// Read now: document.currentScript names this tag only while it runs.
const config = readConfig()

function mount(): void {
  if (window.YiwenWidget) return // pasted twice: one chat is enough
  const host = document.createElement('div')
  host.id = 'yiwen-widget'
  host.setAttribute('data-position', config.position)
  // A shadow root keeps the shop's CSS out of the chat and the chat's CSS out of the shop.
  const root = host.attachShadow({ mode: 'open' })
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
    // A constructed sheet needs no inline <style>, so a shop's strict CSP does not block it.
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(css)
    root.adoptedStyleSheets = [sheet]
  } else {
    const style = document.createElement('style')
    style.textContent = css
    root.append(style)
  }
  host.style.setProperty('--yiwen-color', config.color)
  document.body.append(host)
  const chat = new Chat(root, config)
  mountAnnouncementBanner(root, config.server)
  window.YiwenWidget = { open: () => chat.open(), close: () => chat.close() }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount)
else mount()
