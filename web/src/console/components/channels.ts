// One glyph per channel, shared by the inbox rows and the customer's cross-channel history.
export const CHANNEL_ICONS: Record<string, string> = { web: '网', api: 'A', wechat: '微', wecom: '企', qq: 'Q', telegram: 'T', email: '@' }
