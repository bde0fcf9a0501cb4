// Admin screens, part A: staff and roles, queues and routing, SLA, categories, audit log.
// Each route's meta names its menu label (an i18n key) and the permission that shows it.
import type { RouteRecordRaw } from 'vue-router'

export const routesA: RouteRecordRaw[] = []
