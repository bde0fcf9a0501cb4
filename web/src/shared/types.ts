// Shapes of the API answers the pages read (see docs/api.md and /docs on the server).

export interface StaffUser {
  id: string
  username: string
  display_name: string
  role: string
  permissions: string[]
}

export interface LoginAnswer {
  csrf_token: string
  user: StaffUser
  expires_at: string
}

export interface InboxTicket {
  id: string
  number: string
  subject: string
  category: string
  priority: string
  urgent: boolean
  status: string
  first_response_due_at: string | null
  first_response_at: string | null
  due_at: string | null
}

export interface Conversation {
  id: string
  customer_id: string
  channel: string
  status: string
  assignee_id: string | null
  last_message_at: string
  last_message_preview: string
  unread_for_staff: number
  created_at: string
  ticket?: InboxTicket | null
  customer_name?: string | null
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface Message {
  id: number
  conversation_id: string
  sender_type: 'customer' | 'agent' | 'bot' | 'system'
  sender_name: string | null
  body: string
  visibility: 'public' | 'internal'
  client_msg_id: string | null
  attachment_ids: string[]
  ticket_id: string | null
  created_at: string
}

export interface Ticket {
  id: string
  number: string
  customer_id: string
  conversation_id: string | null
  channel: string
  category: string
  priority: string
  urgent: boolean
  status: string
  subject: string
  description: string
  demand: string | null
  key_info: Record<string, unknown>
  contact: string | null
  assignee_id: string | null
  first_response_due_at: string | null
  due_at: string | null
  first_response_at: string | null
  resolved_at: string | null
  resolution_note: string | null
  created_at: string
  updated_at: string
}

export interface TimelineEvent {
  id: number
  kind: string
  visibility: string
  actor_type: string
  actor_name: string | null
  body: string
  data: Record<string, unknown>
  at: string
}

export interface Attachment {
  id: string
  filename: string
  content_type: string
  size: number
  created_at: string
}

export interface TicketDetail {
  ticket: Ticket
  order_nos: string[]
  timeline: TimelineEvent[]
  evidence: Attachment[]
  assignee_name: string | null
}

export interface ConversationDetail {
  conversation: Conversation
  messages: Message[]
  next_cursor: number | null
  tickets: Ticket[]
  evidence?: Attachment[]
}

export interface CardKey {
  key_id: string
  masked: string
  state: string
  delivered_at: string | null
  used_at: string | null
  region: string | null
}

export interface Order {
  order_no: string
  status: string
  amount: string
  refunded_amount: string
  refundable_amount: string
  created_at: string
  paid_at: string | null
  contact: string | null
  shop_user_id: string | null
  supplier: string | null
  items: { product_id: string; product_name: string; quantity: number; unit_price: string; delivery_type: string; region: string | null }[]
  payments: { payment_id: string; method: string; amount: string; status: string; trade_no: string | null; paid_at: string | null; callback_received: boolean; refunded_amount: string }[]
  delivery: { delivery_type: string; status: string; delivered_at: string | null; card_keys: CardKey[]; target_account: string | null; resend_count: number }
  upstream_pushes: { push_id: string; supplier: string; status: string; attempt: number; created_at: string; updated_at: string; error: string | null; supplier_order_no: string | null }[]
}

export interface CustomerOverview {
  customer: { id: string; display_name: string | null; tier: string; tags: string[]; created_at: string }
  identities: { channel: string; external_id: string; verified: boolean }[]
  orders: Order[]
  tickets: { id: string; number: string; status: string; category: string; subject: string; created_at: string; resolved_at: string | null }[]
}

export interface Macro {
  id: string
  title: string
  body: string
  category: string | null
  is_active: boolean
}

export interface Agent {
  id: string
  display_name: string
  role: string
}

export interface MoneyLimits {
  refund: string | null
  coupon: string | null
}

export interface OrderActionResult {
  id: string
  action: string
  order_no: string | null
  amount: string | null
  status: string
  reference: string
  replayed: boolean
}

// Customer side
export interface PublicTimelineEntry {
  at: string | null
  kind: string
  actor_type: string
  actor_name: string | null
  text: string
}

export interface PublicTicket {
  number: string
  status: string
  stage: 'pending' | 'in_progress' | 'done'
  status_label: string
  category: string
  category_label: string
  subject: string
  priority: string
  urgent: boolean
  handler: string | null
  created_at: string | null
  first_response_due_at: string | null
  promised_at: string | null
  resolved_at: string | null
  resolution_note: string | null
  order_nos: string[]
  conversation_id: string | null
  can_rate: boolean
  rating: { score: number; comment: string } | null
  can_reopen: boolean
  timeline: PublicTimelineEntry[]
}

export interface OrderLookupAnswer {
  order_no: string
  status: string
  amount: string
  refunded_amount: string
  product_name: string | null
  created_at: string
  paid_at: string | null
  payment_methods: string[]
  delivery_type: string
  delivery_status: string
  delivered_at: string | null
  card_keys: { masked: string; state: string }[]
  supplier_status: string | null
}

export interface HelpCategory {
  category: string
  name: string
  count: number
}

export interface HelpArticleSummary {
  id: string
  title: string
  category: string
  tags: string[]
  updated: string
  summary: string
}

export interface HelpArticle extends HelpArticleSummary {
  body_markdown: string
}

export interface HelpHit {
  article_id: string
  title: string
  category: string
  snippet: string
}
