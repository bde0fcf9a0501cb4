// Code lists the admin forms offer; they mirror the server's own lists, which still validate.

export const ROLES = ['admin', 'supervisor', 'agent_l1', 'agent_l2', 'tech', 'finance', 'supplier_liaison', 'security']
export const DEPARTMENTS = ['general', 'tech', 'finance', 'supplier_liaison', 'security']
export const TIERS = ['L1', 'L2']
export const PRIORITIES = ['low', 'normal', 'high', 'urgent']
export const CUSTOMER_TIERS = ['standard', 'vip']
export const PASSWORD_MIN = 8
export const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,31}$/

/**
 * The key facts the portal's ticket form asks for per problem type (web/src/portal/views/
 * TicketFormView.vue keeps the form itself; the server requires an order number for the
 * types in ORDER_REQUIRED of src/yiwen/tickets/intake.py).
 */
export const FORM_FIELDS: Record<string, { fields: string[]; required: string[] }> = {
  delivery_missing: { fields: ['order_no', 'paid_at', 'amount'], required: ['order_no'] },
  card_invalid: { fields: ['order_no'], required: ['order_no'] },
  refund_request: { fields: ['order_no', 'amount'], required: ['order_no'] },
  refund_status: { fields: ['order_no'], required: ['order_no'] },
  payment_issue: { fields: ['order_no', 'paid_at', 'amount', 'payment_method'], required: ['order_no', 'paid_at', 'amount', 'payment_method'] },
  order_status: { fields: ['order_no'], required: [] },
  account_security: { fields: ['order_no'], required: [] },
  balance_issue: { fields: ['amount'], required: [] },
  promo_issue: { fields: ['order_no'], required: [] },
}

/** Minutes as the admin reads them: 90 → "1 小时 30 分" / "1 h 30 min". */
export function minutesText(minutes: number | null | undefined, en: boolean): string {
  if (minutes === null || minutes === undefined) return '—'
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const mins = minutes % 60
  const parts: string[] = []
  if (days) parts.push(en ? `${days} d` : `${days} 天`)
  if (hours) parts.push(en ? `${hours} h` : `${hours} 小时`)
  if (mins || parts.length === 0) parts.push(en ? `${mins} min` : `${mins} 分钟`)
  return parts.join(' ')
}

/** Audit details as indented JSON text (shown with text interpolation, never as HTML). */
export function jsonText(value: unknown): string {
  if (value === null || value === undefined) return '—'
  return JSON.stringify(value, null, 2)
}

type Pairs = Record<string, [string, string]>

export const ROLE_LABELS: Pairs = {
  admin: ['管理员', 'Administrator'],
  supervisor: ['主管', 'Supervisor'],
  agent_l1: ['一线客服', 'Agent L1'],
  agent_l2: ['资深客服', 'Agent L2'],
  tech: ['技术支持', 'Tech support'],
  finance: ['财务', 'Finance'],
  supplier_liaison: ['上游对接', 'Supplier liaison'],
  security: ['安全', 'Security'],
}

export const DEPARTMENT_LABELS: Pairs = {
  general: ['综合', 'General'],
  tech: ['技术', 'Tech'],
  finance: ['财务', 'Finance'],
  supplier_liaison: ['上游对接', 'Supplier liaison'],
  security: ['安全', 'Security'],
}

export const PERMISSION_LABELS: Pairs = {
  'inbox.read': ['查看工作台', 'Read the inbox'],
  'ticket.read': ['查看工单', 'Read tickets'],
  'ticket.reply': ['回复顾客', 'Reply'],
  'ticket.note': ['内部备注', 'Internal notes'],
  'ticket.update': ['修改工单状态/优先级/类型', 'Update tickets'],
  'ticket.assign': ['分配工单给他人', 'Assign tickets'],
  'ticket.transfer': ['转交工单', 'Transfer tickets'],
  'ticket.resolve': ['解决工单', 'Resolve tickets'],
  'customer.read': ['客户 360', 'Customer 360'],
  'order.read': ['查看订单', 'Read orders'],
  'order.resend': ['补发卡密', 'Resend keys'],
  'order.repush': ['重新推送上游', 'Re-push upstream'],
  'order.refund': ['退款（限额内）', 'Refund (within limit)'],
  'coupon.issue': ['发放优惠券（限额内）', 'Issue coupons (within limit)'],
  'account.freeze': ['冻结账号', 'Freeze accounts'],
  'card_key.reveal': ['查看完整卡密', 'Reveal card keys'],
  'macro.manage': ['管理快捷回复', 'Manage macros'],
  'staff.manage': ['管理员工', 'Manage staff'],
  'audit.read': ['查看审计日志', 'Read the audit log'],
  'notify.manage': ['管理通知与 Webhook', 'Manage notifications'],
  'routing.manage': ['管理队列与分流', 'Manage routing'],
  'kpi.read': ['查看全部数据看板', 'Read all KPIs'],
  'kb.manage': ['管理知识库', 'Manage the knowledge base'],
  'sla.manage': ['管理 SLA', 'Manage SLAs'],
  'channel.manage': ['管理渠道', 'Manage channels'],
  'identity.manage': ['管理身份合并', 'Manage identity links'],
  'complaint.manage': ['登记外部投诉', 'Register complaints'],
  'connector.manage': ['管理店铺对接', 'Manage the store connector'],
  'incident.manage': ['管理故障事件', 'Manage incidents'],
  'announcement.manage': ['发布公告', 'Publish announcements'],
  'workforce.manage': ['管理排班', 'Manage shifts'],
  'retention.manage': ['管理数据保留与归档', 'Manage data retention'],
  'archive.read': ['查看归档会话', 'Read archived conversations'],
}

export const HOLIDAY_LABELS: Pairs = {
  "New Year's Day": ['元旦', "New Year's Day"],
  'Spring Festival': ['春节', 'Spring Festival'],
  'Tomb-sweeping Day': ['清明节', 'Tomb-sweeping Day'],
  'Labour Day': ['劳动节', 'Labour Day'],
  'Dragon Boat Festival': ['端午节', 'Dragon Boat Festival'],
  'National Day': ['国庆节', 'National Day'],
  'Mid-autumn Festival': ['中秋节', 'Mid-autumn Festival'],
}
