import { createApp } from 'vue'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import '@shared/base.css'
import App from './App.vue'
import { router } from './router'
import { makeI18n } from '@shared/i18n'
import { messages } from './messages'
import { api, forget, restoreSession } from './session'

restoreSession()
api.onUnauthenticated = () => {
  forget()
  if (router.currentRoute.value.name !== 'login') {
    void router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } })
  }
}

createApp(App).use(makeI18n(messages)).use(router).mount('#app')
