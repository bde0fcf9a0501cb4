// Admin screen for data retention: the policy, its preview, legal holds and archived transcripts.
import type { RouteRecordRaw } from 'vue-router'

export const routesR: RouteRecordRaw[] = [
  {
    path: 'retention',
    name: 'admin-retention',
    component: () => import('./RetentionView.vue'),
    meta: { title: 'admin.retention', permission: 'retention.manage' },
  },
]
