// The logged-in staff member. The session itself is the HttpOnly cookie; what the page keeps
// (in sessionStorage, per tab) is the login answer's CSRF token and the user.
import { reactive } from 'vue'
import { ApiClient } from '@shared/api'
import type { LoginAnswer, MoneyLimits, StaffUser } from '@shared/types'

export const SESSION_KEY = 'yiwen.console.session'

export const api = new ApiClient()

export const session = reactive<{ user: StaffUser | null; limits: MoneyLimits | null }>({
  user: null,
  limits: null,
})

export function can(permission: string): boolean {
  return session.user?.permissions.includes(permission) ?? false
}

export function restoreSession(): boolean {
  const raw = sessionStorage.getItem(SESSION_KEY)
  if (!raw) return false
  try {
    const saved = JSON.parse(raw) as LoginAnswer
    api.csrfToken = saved.csrf_token
    session.user = saved.user
    return true
  } catch {
    sessionStorage.removeItem(SESSION_KEY)
    return false
  }
}

export async function login(username: string, password: string): Promise<void> {
  const answer = await api.post<LoginAnswer & { token: string }>('/auth/login', { username, password })
  const kept: LoginAnswer = { csrf_token: answer.csrf_token, user: answer.user, expires_at: answer.expires_at }
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(kept))
  api.csrfToken = answer.csrf_token
  session.user = answer.user
}

export async function loadLimits(): Promise<void> {
  session.limits = await api.get<MoneyLimits>('/auth/me/limits')
}

export async function logout(): Promise<void> {
  try {
    await api.post('/auth/logout')
  } finally {
    forget()
  }
}

export function forget(): void {
  sessionStorage.removeItem(SESSION_KEY)
  api.csrfToken = null
  session.user = null
  session.limits = null
}
