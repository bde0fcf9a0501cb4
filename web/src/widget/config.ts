// What the shop configures on the <script> tag (see docs/widget.md).

export type Lang = 'zh-CN' | 'en'

export interface WidgetConfig {
  /** Origin (and optional path prefix) of the Yiwen server, without a trailing slash. */
  server: string
  lang: Lang
  title: string | null
  color: string
  position: 'right' | 'left'
  shopToken: string | null
  open: boolean
}

const COLOR = /^#[0-9a-fA-F]{3,8}$/

function findScript(): HTMLScriptElement | null {
  const current = document.currentScript
  if (current instanceof HTMLScriptElement) return current
  return document.querySelector<HTMLScriptElement>('script[src*="widget.js"]')
}

export function readConfig(): WidgetConfig {
  const script = findScript()
  const data = script?.dataset ?? {}
  const fromSrc = script?.src ? new URL(script.src, location.href) : new URL(location.href)
  const server = (data.yiwenServer || fromSrc.origin).replace(/\/+$/, '')
  return {
    server,
    lang: (data.yiwenLang || '').toLowerCase().startsWith('en') ? 'en' : 'zh-CN',
    title: data.yiwenTitle || null,
    color: data.yiwenColor && COLOR.test(data.yiwenColor) ? data.yiwenColor : '#1677ff',
    position: data.yiwenPosition === 'left' ? 'left' : 'right',
    shopToken: data.yiwenShopToken || null,
    open: data.yiwenOpen === 'true',
  }
}
