// The admin menu, built from the routes' meta so each screen declares its own entry.
import type { RouteRecordRaw } from 'vue-router'
import { routesA } from './routesA'
import { routesB } from './routesB'
import { routesR } from './retention/routes'

export interface AdminMeta {
  /** i18n key of the menu label */
  title: string
  /** permission a user needs to see the entry */
  permission: string
  /** menu group i18n key */
  group?: string
}

export const adminRoutes: RouteRecordRaw[] = [...routesA, ...routesB, ...routesR]

export function adminMenu(can: (permission: string) => boolean) {
  return adminRoutes
    .filter((route) => route.meta && can((route.meta as unknown as AdminMeta).permission))
    .map((route) => ({ name: String(route.name), ...(route.meta as unknown as AdminMeta) }))
}
