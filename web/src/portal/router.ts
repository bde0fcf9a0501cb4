import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory('/portal/'),
  routes: [
    { path: '/', name: 'help', component: () => import('./views/HelpView.vue') },
    { path: '/articles/:id', name: 'article', component: () => import('./views/ArticleView.vue') },
    { path: '/order', name: 'order', component: () => import('./views/OrderView.vue') },
    { path: '/ticket', name: 'ticket', component: () => import('./views/TicketFormView.vue') },
    { path: '/track', name: 'track', component: () => import('./views/TrackView.vue') },
    { path: '/commitments', name: 'commitments', component: () => import('./views/CommitmentsView.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
  scrollBehavior: () => ({ top: 0 }),
})
