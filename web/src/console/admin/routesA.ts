// Admin screens, part A: staff and roles, queues and routing, SLA, categories, audit log.
// Each route's meta names its menu label (an i18n key) and the permission that shows it; the
// console router sends whoever lacks that permission back to the inbox (the API refuses anyway).
import type { RouteRecordRaw } from 'vue-router'

export const routesA: RouteRecordRaw[] = [
  { path: 'staff', name: 'admin-staff', component: () => import('./a/StaffView.vue'), meta: { title: 'admin.staff', permission: 'staff.manage' } },
  { path: 'routing', name: 'admin-routing', component: () => import('./a/RoutingView.vue'), meta: { title: 'admin.routing', permission: 'routing.manage' } },
  { path: 'sla', name: 'admin-sla', component: () => import('./a/SlaView.vue'), meta: { title: 'admin.sla', permission: 'sla.manage' } },
  { path: 'categories', name: 'admin-categories', component: () => import('./a/CategoriesView.vue'), meta: { title: 'admin.categories', permission: 'routing.manage' } },
  { path: 'audit', name: 'admin-audit', component: () => import('./a/AuditView.vue'), meta: { title: 'admin.audit', permission: 'audit.read' } },
]
