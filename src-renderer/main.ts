import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { reportErrors } from './errorReports'
import './style.css'

const app = createApp(App).use(createPinia())
reportErrors(app)
app.mount('#app')
