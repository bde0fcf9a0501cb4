// Admin screens, part B: macros, knowledge base, store connector, channels, webhooks.
// Each route's meta names its menu label (an i18n key) and the permission that shows it.
import type { RouteRecordRaw } from 'vue-router'

export const routesB: RouteRecordRaw[] = [
  {
    path: 'macros',
    name: 'admin-macros',
    component: () => import('./b/MacrosView.vue'),
    meta: { title: 'admin.macros', permission: 'macro.manage' },
  },
  {
    path: 'kb',
    name: 'admin-kb',
    component: () => import('./b/KbView.vue'),
    meta: { title: 'admin.kb', permission: 'kb.manage' },
  },
  {
    path: 'connector',
    name: 'admin-connector',
    component: () => import('./b/ConnectorView.vue'),
    meta: { title: 'admin.connector', permission: 'connector.manage' },
  },
  {
    path: 'channels',
    name: 'admin-channels',
    component: () => import('./b/ChannelsView.vue'),
    meta: { title: 'admin.channels', permission: 'channel.manage' },
  },
  {
    path: 'webhooks',
    name: 'admin-webhooks',
    component: () => import('./b/WebhooksView.vue'),
    meta: { title: 'admin.webhooks', permission: 'notify.manage' },
  },
]
