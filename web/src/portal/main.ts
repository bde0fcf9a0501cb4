import { createApp } from 'vue'
import 'element-plus/es/components/message/style/css'
import '@shared/base.css'
import App from './App.vue'
import { router } from './router'
import { makeI18n } from '@shared/i18n'
import { messages } from './messages'

createApp(App).use(makeI18n(messages)).use(router).mount('#app')
