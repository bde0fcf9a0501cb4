// The chat: a floating button, a panel of messages, a composer, and the delivery rules.
//
// Delivery rules: every outgoing message gets a client message id and waits in
// localStorage until the server confirms it, so a reload, a lost connection or a
// retried request can neither lose nor duplicate it (the server returns the
// stored copy for an id it has seen). Incoming messages are keyed by server id.

import { ApiError, CustomerApi, type Message, type QueuePlace } from './api'
import type { WidgetConfig } from './config'
import { ICONS, clockTime, el, icon } from './dom'
import { type Texts, texts } from './i18n'
import { ConversationSocket, type StreamEvent } from './socket'
import { type Pending, WidgetStorage, newClientMsgId } from './storage'

const RETRY_MS = 3_000
const QUEUE_POLL_MS = 20_000
// Messages re-read before the newest shown when the socket reconnects (see catchUpCursor).
const CATCH_UP_OVERLAP = 20
const MAX_IMAGE_BYTES = 10 * 1024 * 1024
// An image waiting for the network is also kept in localStorage (as a data URL) up to this size.
const MAX_STORED_IMAGE_BYTES = 1024 * 1024

export class Chat {
  private readonly t: Texts
  private readonly api: CustomerApi
  private readonly storage: WidgetStorage
  private readonly socket: ConversationSocket

  private readonly launcher: HTMLButtonElement
  private readonly panel: HTMLElement
  private readonly list: HTMLOListElement
  private readonly queueBanner: HTMLElement
  private readonly netBanner: HTMLElement
  private readonly input: HTMLTextAreaElement
  private readonly fileInput: HTMLInputElement

  private readonly shown = new Map<number, HTMLLIElement>()
  private readonly pendingItems = new Map<string, HTMLLIElement>()
  private readonly previews = new Map<string, string>()
  private readonly files = new Map<string, Blob>()
  private lastId = 0
  private loaded = false
  private flushing = false
  private retryTimer: number | undefined
  private queueTimer: number | undefined

  constructor(root: ShadowRoot, config: WidgetConfig) {
    this.t = texts(config.lang)
    this.api = new CustomerApi(config.server, config.shopToken)
    this.storage = new WidgetStorage(config.server)
    this.api.session = this.storage.session
    this.socket = new ConversationSocket(
      () => this.api.socketUrl(),
      (event) => this.onStreamEvent(event),
      () => void this.onConnected(),
      () => this.showNetwork(this.t.reconnecting),
      () => void this.restart(),
    )

    this.launcher = el('button', { class: 'launcher', type: 'button', 'aria-label': this.t.open })
    this.launcher.append(icon(ICONS.chat))
    this.launcher.addEventListener('click', () => this.open())

    const closeButton = el('button', { class: 'icon-button', type: 'button', 'aria-label': this.t.close })
    closeButton.append(icon(ICONS.close))
    closeButton.addEventListener('click', () => this.close())
    const header = el('header', {}, el('h2', {}, config.title || this.t.title), closeButton)

    this.queueBanner = el('div', { class: 'banner queue', role: 'status', hidden: true })
    this.netBanner = el('div', { class: 'banner net', role: 'status', hidden: true })
    this.list = el('ol', { class: 'messages', 'aria-live': 'polite' })
    this.list.append(this.item('bot', this.t.bot, this.t.welcome, ''))

    this.fileInput = el('input', { type: 'file', accept: 'image/*', hidden: true })
    this.fileInput.addEventListener('change', () => void this.onFileChosen())
    const attach = el('button', { class: 'icon-button attach', type: 'button', 'aria-label': this.t.image, title: this.t.image })
    attach.append(icon(ICONS.image))
    attach.addEventListener('click', () => this.fileInput.click())
    this.input = el('textarea', { rows: '1', placeholder: this.t.placeholder, 'aria-label': this.t.placeholder, maxlength: '5000' })
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault()
        this.submit()
      }
    })
    const send = el('button', { class: 'send', type: 'submit', 'aria-label': this.t.send }, this.t.send)
    const composer = el('form', { class: 'composer' }, attach, this.fileInput, this.input, send)
    composer.addEventListener('submit', (event) => {
      event.preventDefault()
      this.submit()
    })

    this.panel = el(
      'section',
      { class: 'panel', role: 'dialog', 'aria-label': config.title || this.t.title, hidden: true },
      header,
      this.queueBanner,
      this.netBanner,
      this.list,
      composer,
    )
    root.append(this.launcher, this.panel)

    window.addEventListener('online', () => {
      this.netBanner.hidden = true
      this.socket.kick()
      void this.flush()
    })
    window.addEventListener('offline', () => this.showNetwork(this.t.offline))
    for (const pending of this.storage.pending) {
      if (pending.image?.dataUrl) this.previews.set(pending.clientMsgId, pending.image.dataUrl)
      this.showPending(pending)
    }
    if (config.open || this.storage.open) this.open()
  }

  open(): void {
    this.panel.hidden = false
    this.launcher.hidden = true
    this.storage.open = true
    if (!navigator.onLine) this.showNetwork(this.t.offline)
    if (this.api.session && !this.loaded) {
      this.loaded = true
      this.socket.start()
    }
    void this.flush()
    this.input.focus({ preventScroll: true })
    this.scrollDown()
  }

  close(): void {
    this.panel.hidden = true
    this.launcher.hidden = false
    this.storage.open = false
  }

  // ---- sending ----

  private submit(): void {
    const body = this.input.value.trim()
    if (!body) return
    this.input.value = ''
    this.enqueue(body)
  }

  private enqueue(body: string): void {
    const pending: Pending = { clientMsgId: newClientMsgId(), body, attachmentIds: [], createdAt: new Date().toISOString() }
    this.storage.pending = [...this.storage.pending, pending]
    this.showPending(pending)
    void this.flush()
  }

  /** Deliver waiting messages in order; stops at the first that cannot go yet. */
  private async flush(): Promise<void> {
    if (this.flushing || !navigator.onLine) return
    this.flushing = true
    window.clearTimeout(this.retryTimer)
    try {
      for (let next = this.storage.pending[0]; next; next = this.storage.pending[0]) {
        await this.ensureSession()
        if (next.image) next = await this.uploadWaitingImage(next)
        const stored = await this.api.send(next.clientMsgId, next.body, next.attachmentIds)
        this.storage.pending = this.storage.pending.filter((p) => p.clientMsgId !== next.clientMsgId)
        this.showMessage(stored)
      }
    } catch (error) {
      this.onSendError(error)
    } finally {
      this.flushing = false
    }
  }

  private onSendError(error: unknown): void {
    const failure = error instanceof ApiError ? error : new ApiError(0, 'network', '')
    const [first] = this.storage.pending
    if (failure.retriable) {
      if (navigator.onLine) this.retryTimer = window.setTimeout(() => void this.flush(), RETRY_MS)
    } else if (failure.status === 401 || failure.status === 410 || failure.code === 'conversation_closed' || failure.code === 'conversation_not_found') {
      // The conversation is over, gone or archived (410): continue in a new one, keeping what waits.
      // (Deferred: this runs inside flush(), which must end before it can run again.)
      window.setTimeout(() => void this.restart())
    } else if (first) {
      this.storage.pending = this.storage.pending.slice(1)
      this.markFailed(first, failure.message)
      window.setTimeout(() => void this.flush())
    }
  }

  private async ensureSession(): Promise<void> {
    if (this.api.session) return
    this.storage.session = await this.api.start()
    this.lastId = 0
    this.loaded = true
    this.socket.start()
  }

  private async restart(): Promise<void> {
    this.socket.stop()
    this.api.session = null
    this.storage.session = null
    this.loaded = false
    this.queueBanner.hidden = true
    await this.flush()
  }

  /** An image is a message like any other: it waits in order with its client message id,
   *  is uploaded when the network allows, and is then sent once (the id makes a resend the
   *  same message). A refused upload (type, size) fails that message only. */
  private async onFileChosen(): Promise<void> {
    const file = this.fileInput.files?.[0]
    this.fileInput.value = ''
    if (!file) return
    if (file.size > MAX_IMAGE_BYTES) {
      this.notice(this.t.tooLarge)
      return
    }
    const dataUrl = file.size <= MAX_STORED_IMAGE_BYTES ? await readAsDataUrl(file).catch(() => null) : null
    const clientMsgId = newClientMsgId()
    this.files.set(clientMsgId, file)
    const pending: Pending = {
      clientMsgId,
      body: '',
      attachmentIds: [],
      createdAt: new Date().toISOString(),
      image: { name: file.name || 'image', type: file.type, dataUrl },
    }
    this.previews.set(clientMsgId, URL.createObjectURL(file))
    this.storage.pending = [...this.storage.pending, pending]
    this.showPending(pending)
    void this.flush()
  }

  /** Upload a waiting image and remember its attachment id, so a retry only re-sends. */
  private async uploadWaitingImage(pending: Pending): Promise<Pending> {
    const image = pending.image
    if (!image) return pending
    const blob = this.files.get(pending.clientMsgId) ?? (image.dataUrl ? dataUrlToBlob(image.dataUrl) : null)
    if (!blob) throw new ApiError(422, 'image_lost', this.t.uploadFailed)
    const id = await this.api.upload(new File([blob], image.name, { type: image.type || blob.type }))
    const uploaded: Pending = { ...pending, attachmentIds: [...pending.attachmentIds, id], image: undefined }
    this.storage.pending = this.storage.pending.map((p) => (p.clientMsgId === pending.clientMsgId ? uploaded : p))
    this.files.delete(pending.clientMsgId)
    return uploaded
  }

  // ---- receiving ----

  /**
   * Where a reconnection reads from: a few messages before the newest one shown. Two
   * writers in one conversation (the customer's next message and the bot's answer) can
   * reach the socket in reverse id order, so a message older than the newest may still
   * have been on its way when the socket dropped; what is already shown is skipped.
   */
  private catchUpCursor(): number {
    const ids = [...this.shown.keys()].sort((a, b) => b - a)
    return ids[CATCH_UP_OVERLAP] ?? 0
  }

  private async onConnected(): Promise<void> {
    this.netBanner.hidden = true
    try {
      for (const message of await this.api.messagesAfter(this.catchUpCursor())) this.showMessage(message)
    } catch {
      // The socket's next reconnection catches up again.
    }
    void this.refreshQueue()
    void this.flush()
  }

  private onStreamEvent(event: StreamEvent): void {
    if (event.type === 'message.created' && event.message && typeof event.message === 'object') {
      const message = event.message as Message
      this.showMessage(message)
      if (message.sender_type === 'bot') void this.refreshQueue()
      if (message.sender_type === 'agent') this.showQueue(null)
    } else if (event.type === 'queue.position_changed') {
      this.showQueue(event as unknown as QueuePlace)
    } else if (event.type.startsWith('routing.') || event.type.startsWith('ticket.')) {
      void this.refreshQueue()
    }
  }

  private async refreshQueue(): Promise<void> {
    if (!this.api.session) return
    try {
      this.showQueue(await this.api.queue())
    } catch {
      // The banner keeps its last state; the next event or poll refreshes it.
    }
  }

  // ---- rendering ----

  private showQueue(place: QueuePlace | null): void {
    window.clearTimeout(this.queueTimer)
    if (!place || place.position === null || place.queued === false) {
      this.queueBanner.hidden = true
      return
    }
    this.queueBanner.textContent = this.t.queued(place.position, place.estimated_wait_minutes)
    this.queueBanner.hidden = false
    this.scrollDown()
    this.queueTimer = window.setTimeout(() => void this.refreshQueue(), QUEUE_POLL_MS)
  }

  private showNetwork(text: string): void {
    this.netBanner.textContent = navigator.onLine ? text : this.t.offline
    this.netBanner.hidden = false
    this.scrollDown()
  }

  private notice(text: string): void {
    this.list.append(this.item('system', '', text, ''))
    this.scrollDown()
  }

  private showMessage(message: Message): void {
    const waiting = message.client_msg_id ? this.pendingItems.get(message.client_msg_id) : undefined
    if (waiting) this.pendingItems.delete(message.client_msg_id as string)
    if (this.shown.has(message.id)) {
      waiting?.remove()
      return
    }
    this.lastId = Math.max(this.lastId, message.id)
    const item = this.item(message.sender_type, this.senderLabel(message), message.body, clockTime(message.created_at))
    item.dataset.id = String(message.id)
    this.shown.set(message.id, item)
    const preview = message.client_msg_id ? this.previews.get(message.client_msg_id) : undefined
    for (const id of message.attachment_ids) void this.attachImage(item, id, preview)
    waiting?.remove()
    this.insertInOrder(item, message.id)
  }

  private showPending(pending: Pending): void {
    if (this.pendingItems.has(pending.clientMsgId)) return
    const item = this.item('customer', this.t.you, pending.body, this.t.sending)
    item.classList.add('pending')
    const preview = this.previews.get(pending.clientMsgId)
    if (preview) this.addImage(item, preview)
    this.pendingItems.set(pending.clientMsgId, item)
    this.list.append(item)
    this.scrollDown()
  }

  private markFailed(pending: Pending, reason: string): void {
    const item = this.pendingItems.get(pending.clientMsgId)
    if (!item) return
    this.pendingItems.delete(pending.clientMsgId)
    item.classList.replace('pending', 'failed')
    const meta = item.querySelector('.meta')
    if (meta) meta.textContent = reason ? `${this.t.failed}：${reason}` : this.t.failed
  }

  /** Server messages in server order (replies can arrive before the send is confirmed),
   *  above the ones still waiting to be sent. */
  private insertInOrder(item: HTMLLIElement, id: number): void {
    let before: Element | null = this.list.querySelector('li.pending')
    for (const other of this.list.querySelectorAll<HTMLLIElement>('li[data-id]')) {
      if (Number(other.dataset.id) > id) {
        before = other
        break
      }
    }
    this.list.insertBefore(item, before)
    this.scrollDown()
  }

  private senderLabel(message: Message): string {
    if (message.sender_type === 'customer') return this.t.you
    if (message.sender_type === 'bot') return this.t.bot
    if (message.sender_type === 'agent') return message.sender_name || this.t.agent
    return ''
  }

  private item(kind: string, who: string, body: string, meta: string): HTMLLIElement {
    const side = kind === 'customer' ? 'mine' : kind === 'system' ? 'system' : 'theirs'
    const item = el('li', { class: `msg ${side} from-${kind.replace(/[^a-z_]/g, '')}` })
    if (who && side !== 'mine') item.append(el('span', { class: 'who' }, who))
    if (body) item.append(el('div', { class: 'bubble' }, body))
    item.append(el('span', { class: 'meta' }, meta))
    return item
  }

  private async attachImage(item: HTMLLIElement, id: string, preview?: string): Promise<void> {
    try {
      const { url, type } = preview ? { url: preview, type: 'image/' } : await this.api.attachmentUrl(id)
      if (type.startsWith('image/')) this.addImage(item, url)
      else item.insertBefore(el('a', { class: 'file', href: url, download: id }, this.t.attachment), item.querySelector('.meta'))
    } catch {
      item.insertBefore(el('span', { class: 'file' }, this.t.attachment), item.querySelector('.meta'))
    }
  }

  private addImage(item: HTMLLIElement, url: string): void {
    const image = el('img', { class: 'image', src: url, alt: this.t.attachment })
    image.addEventListener('load', () => this.scrollDown())
    item.insertBefore(image, item.querySelector('.meta'))
  }

  private scrollDown(): void {
    this.list.scrollTop = this.list.scrollHeight
  }
}

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result))
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })
}

/** Decoded by hand: fetching a data: URL would need the shop page's CSP to allow it. */
function dataUrlToBlob(dataUrl: string): Blob | null {
  const match = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(dataUrl)
  if (!match || !match[2]) return null
  try {
    const binary = atob(match[3] ?? '')
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return new Blob([bytes], { type: match[1] || 'application/octet-stream' })
  } catch {
    return null
  }
}
