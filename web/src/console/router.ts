import { createRouter, createWebHistory } from 'vue-router'
import { session } from './session'

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue') },
    { path: '/', name: 'inbox', component: () => import('./views/WorkbenchView.vue') },
    { path: '/c/:id', name: 'conversation', component: () => import('./views/WorkbenchView.vue') },
    { path: '/dashboard', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
    { path: '/board', name: 'board', component: () => import('./views/BoardView.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (to.name !== 'login' && !session.user) return { name: 'login', query: { next: to.fullPath } }
  return true
})
