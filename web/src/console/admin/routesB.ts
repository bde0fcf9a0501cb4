// Admin screens, part B: macros, knowledge base, store connector, channels, webhooks.
// Each route's meta names its menu label (an i18n key) and the permission that shows it.
import type { RouteRecordRaw } from 'vue-router'

export const routesB: RouteRecordRaw[] = []
