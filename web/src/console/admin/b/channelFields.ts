// Each channel account's fields, from docs/channels/*.md: what goes in `config` (shown back)
// and what goes in `secrets` (write-only: the API returns only their names).

export type Channel = 'wechat' | 'wecom' | 'qq' | 'telegram' | 'email'
export const CHANNELS: Channel[] = ['wechat', 'wecom', 'qq', 'telegram', 'email']

export interface Field {
  key: string
  label: [string, string]
  required?: boolean
  placeholder?: string
  options?: string[]
  kind?: 'text' | 'number' | 'bool'
}

export interface ChannelFields {
  config: Field[]
  secrets: Field[]
  /** the platform calls Yiwen back at the account's webhook path */
  callback: boolean
}

export const CHANNEL_FIELDS: Record<Channel, ChannelFields> = {
  wechat: {
    callback: true,
    config: [
      { key: 'app_id', label: ['开发者ID (AppID)', 'AppID'], required: true, placeholder: 'wx0123456789abcdef' },
      { key: 'encrypt_mode', label: ['消息加解密方式', 'Encryption mode'], required: true, options: ['safe', 'compatible', 'plain'] },
      { key: 'welcome_text', label: ['关注欢迎语', 'Welcome text'] },
      { key: 'reply_budget_seconds', label: ['被动回复等待秒数', 'Passive reply budget (s)'], kind: 'number', placeholder: '3.5' },
      { key: 'api_base', label: ['API 地址（仅代理时填写）', 'API base (proxy only)'], placeholder: 'https://api.weixin.qq.com' },
    ],
    secrets: [
      { key: 'token', label: ['令牌 (Token)', 'Token'], required: true },
      { key: 'encoding_aes_key', label: ['消息加解密密钥 (EncodingAESKey)', 'EncodingAESKey'] },
      { key: 'app_secret', label: ['开发者密码 (AppSecret)', 'AppSecret'], required: true },
    ],
  },
  wecom: {
    callback: true,
    config: [
      { key: 'corp_id', label: ['企业ID', 'Corp ID'], required: true, placeholder: 'ww0123456789abcdef' },
      { key: 'open_kfid', label: ['客服账号 ID (open_kfid)', 'Customer-service account (open_kfid)'], required: true, placeholder: 'wk…' },
      { key: 'api_base', label: ['API 地址（仅代理时填写）', 'API base (proxy only)'], placeholder: 'https://qyapi.weixin.qq.com' },
    ],
    secrets: [
      { key: 'token', label: ['回调 Token', 'Callback token'], required: true },
      { key: 'encoding_aes_key', label: ['回调 EncodingAESKey', 'Callback EncodingAESKey'], required: true },
      { key: 'secret', label: ['微信客服 Secret', 'Customer-service secret'], required: true },
    ],
  },
  qq: {
    callback: true,
    config: [
      { key: 'api_base', label: ['OneBot HTTP API 地址', 'OneBot HTTP API base'], required: true, placeholder: 'http://127.0.0.1:3000' },
      { key: 'media_hosts', label: ['允许下载图片的域名（逗号分隔）', 'Image hosts (comma-separated)'], placeholder: 'multimedia.nt.qq.com.cn,qpic.cn' },
      { key: 'media_allow_private', label: ['允许内网图片地址', 'Allow private image addresses'], kind: 'bool' },
    ],
    secrets: [
      { key: 'access_token', label: ['Access Token', 'Access token'] },
      { key: 'secret', label: ['上报签名密钥 (X-Signature)', 'Event signing secret (X-Signature)'], required: true },
    ],
  },
  telegram: {
    callback: true,
    config: [{ key: 'api_base', label: ['Bot API 地址', 'Bot API base'], placeholder: 'https://api.telegram.org' }],
    secrets: [
      { key: 'bot_token', label: ['Bot Token（BotFather 提供）', 'Bot token (from BotFather)'], required: true },
      { key: 'webhook_secret', label: ['Webhook 密钥 (secret_token)', 'Webhook secret (secret_token)'], required: true },
    ],
  },
  email: {
    callback: false,
    config: [
      { key: 'address', label: ['邮箱地址', 'Mailbox address'], required: true, placeholder: 'support@shop.example' },
      { key: 'username', label: ['登录用户名（默认同邮箱地址）', 'Login (defaults to the address)'] },
      { key: 'imap_host', label: ['IMAP 服务器', 'IMAP host'], required: true, placeholder: 'imap.qq.com' },
      { key: 'imap_port', label: ['IMAP 端口', 'IMAP port'], kind: 'number', placeholder: '993' },
      { key: 'imap_tls', label: ['IMAP 加密', 'IMAP TLS'], options: ['ssl', 'starttls', 'none'] },
      { key: 'smtp_host', label: ['SMTP 服务器', 'SMTP host'], required: true, placeholder: 'smtp.qq.com' },
      { key: 'smtp_port', label: ['SMTP 端口', 'SMTP port'], kind: 'number', placeholder: '465' },
      { key: 'smtp_tls', label: ['SMTP 加密', 'SMTP TLS'], options: ['ssl', 'starttls', 'none'] },
      { key: 'mailbox', label: ['收信文件夹', 'IMAP folder'], placeholder: 'INBOX' },
      { key: 'purpose', label: ['用途', 'Purpose'], options: ['complaints'] },
    ],
    secrets: [{ key: 'password', label: ['密码 / 授权码', 'Password / app password'], required: true }],
  },
}
