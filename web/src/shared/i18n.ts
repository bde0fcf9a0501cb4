// zh-CN by default, English on request; the choice is remembered per browser.
import { createI18n, type LocaleMessages, type VueMessageType } from 'vue-i18n'
import type { LocaleMessage } from '@intlify/core-base'

export type Locale = 'zh-CN' | 'en'
const STORAGE_KEY = 'yiwen.locale'

export function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY)
  return saved === 'en' ? 'en' : 'zh-CN'
}

export function makeI18n(messages: Record<Locale, object>) {
  const locale = initialLocale()
  document.documentElement.lang = locale
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'zh-CN',
    messages: messages as unknown as LocaleMessages<LocaleMessage<VueMessageType>>,
    missingWarn: false,
    fallbackWarn: false,
  })
}

export function rememberLocale(locale: Locale): void {
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}
