import { createRouter, createWebHistory } from 'vue-router'
import { can, session } from './session'
import { adminRoutes } from './admin/menu'

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue') },
    { path: '/', name: 'inbox', component: () => import('./views/WorkbenchView.vue') },
    { path: '/c/:id', name: 'conversation', component: () => import('./views/WorkbenchView.vue') },
    { path: '/dashboard', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
    { path: '/board', name: 'board', component: () => import('./views/BoardView.vue') },
    { path: '/reports', name: 'reports', component: () => import('./views/ReportsView.vue') },
    { path: '/staffing', name: 'staffing', component: () => import('./views/StaffingView.vue'), meta: { permission: 'kpi.read' } },
    { path: '/announcements', name: 'announcements', component: () => import('./views/AnnouncementsView.vue'), meta: { permission: 'announcement.manage' } },
    {
      path: '/admin',
      name: 'admin',
      component: () => import('./admin/AdminLayout.vue'),
      children: adminRoutes,
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (to.name !== 'login' && !session.user) return { name: 'login', query: { next: to.fullPath } }
  // An admin screen typed into the address bar is refused like a hidden menu entry.
  const permission = to.meta.permission as string | undefined
  if (permission && !can(permission)) return { name: 'inbox' }
  return true
})
