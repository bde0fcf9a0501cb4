// Names of the domain's codes in both languages (the API sends codes).
import type { Locale } from './i18n'

type Labels = Record<string, [string, string]>

export const CATEGORY_LABELS: Labels = {
  delivery_missing: ['未收到货（卡密/充值未到账）', 'Goods not received'],
  card_invalid: ['卡密无效/已被使用', 'Card key does not work'],
  refund_request: ['申请退款', 'Refund request'],
  refund_status: ['退款进度', 'Refund status'],
  order_status: ['订单查询', 'Order status'],
  payment_issue: ['支付问题（失败/重复扣款）', 'Payment problem'],
  account_security: ['账户安全（被盗/冻结）', 'Account security'],
  balance_issue: ['余额/提现问题', 'Balance or withdrawal'],
  promo_issue: ['优惠券/活动问题', 'Coupon or promotion'],
  how_to_use: ['使用/兑换方法', 'How to use'],
  presale: ['售前咨询', 'Pre-sale question'],
  bulk_purchase: ['批量采购/代理', 'Bulk purchase'],
  complaint: ['投诉', 'Complaint'],
  other: ['其他问题', 'Other'],
}

export const TICKET_STATUS_LABELS: Labels = {
  new: ['待处理', 'New'],
  open: ['处理中', 'Open'],
  pending_customer: ['等待顾客', 'Waiting on customer'],
  pending_supplier: ['等待上游', 'Waiting on supplier'],
  pending_internal: ['内部处理中', 'Internal'],
  resolved: ['已解决', 'Resolved'],
  closed: ['已关闭', 'Closed'],
}

export const PRIORITY_LABELS: Labels = {
  low: ['低', 'Low'],
  normal: ['普通', 'Normal'],
  high: ['高', 'High'],
  urgent: ['紧急', 'Urgent'],
}

export const ORDER_STATUS_LABELS: Labels = {
  pending_payment: ['待支付', 'Awaiting payment'],
  paid: ['已支付', 'Paid'],
  delivering: ['发货中', 'Delivering'],
  delivered: ['已发货', 'Delivered'],
  delivery_failed: ['发货失败', 'Delivery failed'],
  refunded: ['已退款', 'Refunded'],
  partially_refunded: ['部分退款', 'Partly refunded'],
  cancelled: ['已取消', 'Cancelled'],
  processing: ['处理中', 'Processing'],
  pending: ['等待中', 'Pending'],
  not_started: ['未开始', 'Not started'],
  failed: ['失败', 'Failed'],
  success: ['成功', 'Succeeded'],
  succeeded: ['成功', 'Succeeded'],
}

export const CARD_KEY_STATE_LABELS: Labels = {
  unused: ['未使用', 'Unused'],
  used: ['已使用', 'Used'],
  invalid: ['无效', 'Invalid'],
  expired: ['已过期', 'Expired'],
  unknown: ['未知', 'Unknown'],
  not_found: ['未找到', 'Not found'],
}

export const PAYMENT_METHOD_LABELS: Labels = {
  alipay: ['支付宝', 'Alipay'],
  wechat: ['微信支付', 'WeChat Pay'],
  qq_wallet: ['QQ 钱包', 'QQ Wallet'],
  bank_card: ['银行卡', 'Bank card'],
  balance: ['余额', 'Balance'],
  usdt: ['USDT', 'USDT'],
}

export const CHANNEL_LABELS: Labels = {
  web: ['网页', 'Web'],
  api: ['App', 'App'],
  wechat: ['公众号', 'WeChat'],
  wecom: ['微信客服', 'WeCom'],
  qq: ['QQ', 'QQ'],
  telegram: ['Telegram', 'Telegram'],
  email: ['邮件', 'Email'],
}

export function label(labels: Labels, code: string | null | undefined, locale: string): string {
  if (!code) return '—'
  const pair = labels[code]
  if (!pair) return code
  return (locale as Locale) === 'en' ? pair[1] : pair[0]
}
