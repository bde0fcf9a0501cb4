// A WebSocket to the conversation's stream that comes back after any network loss.
//
// The stream only carries what happens while connected; every (re)connection
// calls `onOpen`, which catches up through the message list's `after` cursor.

export interface StreamEvent {
  type: string
  [key: string]: unknown
}

const PING_MS = 25_000
const MAX_BACKOFF_MS = 15_000

export class ConversationSocket {
  private socket: WebSocket | null = null
  private retryTimer: number | undefined
  private pingTimer: number | undefined
  private attempts = 0
  private stopped = true

  constructor(
    private readonly url: () => string,
    private readonly onEvent: (event: StreamEvent) => void,
    private readonly onOpen: () => void,
    private readonly onDown: () => void,
    private readonly onRejected: () => void,
  ) {}

  start(): void {
    this.stopped = false
    this.connect()
  }

  stop(): void {
    this.stopped = true
    window.clearTimeout(this.retryTimer)
    window.clearInterval(this.pingTimer)
    this.socket?.close()
    this.socket = null
  }

  /** Reconnect now (the browser says the network is back). */
  kick(): void {
    if (this.stopped) return
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return
    window.clearTimeout(this.retryTimer)
    this.attempts = 0
    this.connect()
  }

  private connect(): void {
    if (this.stopped || !navigator.onLine) return
    const socket = new WebSocket(this.url())
    this.socket = socket
    socket.onmessage = (frame) => {
      let event: StreamEvent
      try {
        event = JSON.parse(String(frame.data)) as StreamEvent
      } catch {
        return
      }
      if (event.type === 'ready') {
        this.attempts = 0
        this.onOpen()
      } else {
        this.onEvent(event)
      }
    }
    socket.onclose = (close) => {
      if (this.socket !== socket) return
      this.socket = null
      window.clearInterval(this.pingTimer)
      if (this.stopped) return
      if (close.code === 4401) {
        this.onRejected()
        return
      }
      this.onDown()
      this.schedule()
    }
    socket.onopen = () => {
      this.pingTimer = window.setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send('ping')
      }, PING_MS)
    }
  }

  private schedule(): void {
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts) * (0.75 + Math.random() / 2)
    this.attempts += 1
    this.retryTimer = window.setTimeout(() => this.connect(), delay)
  }
}
