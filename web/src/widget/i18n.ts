// The widget's own words. zh-CN by default; English with data-yiwen-lang="en".

import type { Lang } from './config'

const zh = {
  title: '在线客服',
  open: '打开在线客服',
  close: '关闭',
  welcome: '您好，我是一问智能客服。请直接描述问题，附上订单号和下单时的手机号/邮箱，处理更快。',
  placeholder: '输入消息，回车发送',
  send: '发送',
  image: '发送图片',
  sending: '发送中…',
  failed: '发送失败',
  retry: '重试',
  offline: '网络已断开，消息会在恢复后自动发送',
  reconnecting: '正在重新连接…',
  bot: '智能客服',
  agent: '客服',
  you: '我',
  queued: (position: number, minutes: number | null) =>
    `正在为您转接人工客服：排第 ${position} 位` +
    (minutes === null ? '' : `，预计等待约 ${Math.max(1, minutes)} 分钟`),
  uploadFailed: '图片上传失败，请重试',
  tooLarge: '图片不能超过 10 MB',
  attachment: '附件',
  error: '出错了，请稍后再试',
}

type Catalogue = typeof zh

const en: Catalogue = {
  title: 'Customer service',
  open: 'Open customer service chat',
  close: 'Close',
  welcome:
    'Hello, this is Yiwen. Tell us what happened, with your order number and the phone or email used at checkout, and we will sort it out faster.',
  placeholder: 'Type a message, Enter to send',
  send: 'Send',
  image: 'Send an image',
  sending: 'Sending…',
  failed: 'Not sent',
  retry: 'Retry',
  offline: 'You are offline; messages will be sent when the connection is back',
  reconnecting: 'Reconnecting…',
  bot: 'Assistant',
  agent: 'Agent',
  you: 'Me',
  queued: (position: number, minutes: number | null) =>
    `Connecting you to an agent: number ${position} in the queue` +
    (minutes === null ? '' : `, about ${Math.max(1, minutes)} min`),
  uploadFailed: 'The image could not be uploaded; please retry',
  tooLarge: 'Images must be at most 10 MB',
  attachment: 'Attachment',
  error: 'Something went wrong; please try again later',
}

export type Texts = Catalogue

export function texts(lang: Lang): Texts {
  return lang === 'en' ? en : zh
}
