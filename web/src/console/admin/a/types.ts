// Shapes of the admin APIs that part A's screens read and write.

export interface StaffRow {
  id: string
  username: string
  display_name: string
  role: string
  email: string | null
  is_active: boolean
  created_at: string
  last_login_at: string | null
  permissions: string[]
}

export interface RoleRow {
  role: string
  permissions: string[]
  may_refund: boolean
  refund_limit: string | null
  may_issue_coupon: boolean
  coupon_limit: string | null
  staff_count: number
}

export interface QueueRow {
  key: string
  department: string
  tier: string
  name: string
  default_handle_minutes: number
  arrival_floor_per_hour: number
}

export interface CategoryRoute {
  category: string
  queue: string
}

export interface AgentProfileRow {
  agent_id: string
  username: string
  display_name: string
  role: string
  skills: string[]
  tier: string
  presence: string
  capacity: number
  hourly_cap: number | null
}

export interface CustomerRouting {
  customer_id: string
  vip: boolean
  tier: string
  dedicated_agent_id: string | null
}

export interface PolicyBody {
  name: string
  category: string
  priority: string
  customer_tier: string
  first_response_minutes: number | null
  next_response_minutes: number | null
  resolution_minutes: number | null
  calendar_id: string
  compensation_coupon: string | null
  is_active: boolean
}

export interface PolicyRow extends PolicyBody {
  id: string
  created_at: string
  updated_at: string
}

export interface CalendarBody {
  name: string
  kind: '24x7' | 'working_hours'
  timezone: string
  opens_at: string
  closes_at: string
  workdays: 'cn_statutory' | 'every_day'
}

export interface CalendarRow extends CalendarBody {
  id: string
  created_at: string
  updated_at: string
}

export interface CalendarDay {
  day: string
  open: boolean
  opens_at: string | null
  closes_at: string | null
  reason: string
  holiday: string | null
}

export interface CategoryPromise {
  category: string
  priority: string
  policy_id: string | null
  policy_name: string | null
  calendar_id: string | null
  first_response_minutes: number
  next_response_minutes: number
  resolution_minutes: number
}

export interface AuditRow {
  id: string
  at: string
  actor_type: string
  actor_id: string | null
  actor_name: string | null
  action: string
  target_type: string
  target_id: string
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
  ip: string | null
  request_id: string | null
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}
