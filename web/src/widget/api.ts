// The customer conversation API (src/yiwen/conversations/api.py, routing/api.py).

export interface Message {
  id: number
  conversation_id: string
  sender_type: 'customer' | 'bot' | 'agent' | 'system' | string
  sender_name: string | null
  body: string
  client_msg_id: string | null
  attachment_ids: string[]
  created_at: string
}

export interface QueuePlace {
  queued: boolean
  position: number | null
  estimated_wait_minutes: number | null
  message: string
}

export interface Session {
  conversationId: string
  token: string
}

/** The server answered with an error ({code, message}); `status` 0 means no answer at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }

  get retriable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500
  }
}

export class CustomerApi {
  constructor(
    private readonly server: string,
    private readonly shopToken: string | null,
  ) {}

  session: Session | null = null

  private async call<T>(method: string, path: string, body?: BodyInit | object): Promise<T> {
    const headers: Record<string, string> = {}
    if (this.session) headers['X-Conversation-Token'] = this.session.token
    else if (this.shopToken) headers['X-Shop-Token'] = this.shopToken
    let payload: BodyInit | undefined
    if (body instanceof FormData) payload = body
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    let response: Response
    try {
      response = await fetch(this.server + path, { method, headers, body: payload, mode: 'cors' })
    } catch {
      throw new ApiError(0, 'network', 'network error')
    }
    const data = await response.json().catch(() => ({}))
    if (!response.ok) {
      // Errors are {"error": {"code", "message"}} (src/yiwen/http/errors.py).
      const error = (data && data.error) || {}
      throw new ApiError(response.status, error.code || 'error', error.message || '')
    }
    return data as T
  }

  async start(): Promise<Session> {
    this.session = null
    const started = await this.call<{ conversation: { id: string }; token: string }>(
      'POST',
      '/api/v1/customer/conversations',
      { channel: 'web' },
    )
    this.session = { conversationId: started.conversation.id, token: started.token }
    return this.session
  }

  private base(): string {
    if (!this.session) throw new ApiError(401, 'customer_token_missing', '')
    return `/api/v1/customer/conversations/${encodeURIComponent(this.session.conversationId)}`
  }

  send(clientMsgId: string, body: string, attachmentIds: string[]): Promise<Message> {
    return this.call('POST', `${this.base()}/messages`, {
      client_msg_id: clientMsgId,
      body,
      attachment_ids: attachmentIds,
    })
  }

  /** Every public message after the cursor, following pages to the end. */
  async messagesAfter(after: number): Promise<Message[]> {
    const all: Message[] = []
    let cursor: number | null = after
    while (cursor !== null) {
      const page: { items: Message[]; next_cursor: number | null } = await this.call(
        'GET',
        `${this.base()}/messages?limit=200&after=${cursor}`,
      )
      all.push(...page.items)
      cursor = page.next_cursor
    }
    return all
  }

  async upload(file: File): Promise<string> {
    const form = new FormData()
    form.append('file', file, file.name)
    const stored = await this.call<{ id: string }>('POST', `${this.base()}/attachments`, form)
    return stored.id
  }

  queue(): Promise<QueuePlace> {
    return this.call('GET', `${this.base()}/queue`)
  }

  /** The attachment's bytes as an object URL (an <img> cannot send the token header). */
  async attachmentUrl(id: string): Promise<{ url: string; type: string }> {
    if (!this.session) throw new ApiError(401, 'customer_token_missing', '')
    const response = await fetch(
      `${this.server}/api/v1/customer/attachments/${encodeURIComponent(id)}`,
      { headers: { 'X-Conversation-Token': this.session.token }, mode: 'cors' },
    )
    if (!response.ok) throw new ApiError(response.status, 'attachment', '')
    const blob = await response.blob()
    return { url: URL.createObjectURL(blob), type: blob.type }
  }

  socketUrl(): string {
    const url = new URL(this.server + this.base() + '/ws')
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    url.searchParams.set('token', this.session?.token ?? '')
    return url.toString()
  }
}
