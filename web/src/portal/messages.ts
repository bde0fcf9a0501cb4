export const messages = {
  'zh-CN': {
    nav: { help: '帮助中心', order: '查订单', ticket: '提交工单', track: '查进度', commitments: '服务承诺与达成情况' },
    help: { go: '搜索', search: '搜索问题，例如：卡密没收到', categories: '问题分类', results: '搜索结果', none: '没有找到相关文章', back: '返回', all: '全部文章', still: '没有解决？', submit: '提交工单' },
    order: {
      title: '订单查询', no: '订单号', contact: '下单手机号或邮箱', submit: '查询', status: '订单状态', amount: '金额', paid: '支付时间',
      delivery: '发货', card_keys: '卡密状态', delivered_at: '发货时间', method: '支付方式', refunded: '已退款', problem: '订单有问题？提交工单',
    },
    form: {
      title: '提交工单', type: '问题类型', order_no: '订单号', paid_at: '付款时间', amount: '付款金额（元）', method: '支付方式', contact: '联系方式（手机号或邮箱）',
      description: '问题描述', demand: '您的诉求', evidence: '凭证截图', upload: '上传图片', urgent: '情况紧急', submit: '提交',
      required: '请填写 {field}', done: '工单已提交', number: '工单号', keep: '请保存工单号，可随时查询进度', track: '查看进度',
      demands: { resend: '补发/重新充值', refund: '退款', explain: '解释说明', other: '其他' },
    },
    track: {
      title: '工单进度', live: '实时更新', number: '工单号', contact: '提交时的手机号或邮箱', submit: '查询', handler: '处理人', promised: '承诺处理时间',
      first_response: '首次响应', queue: '排队位置', queue_text: '前面还有 {n} 位，预计 {m} 分钟', pending: '待处理', in_progress: '处理中', done: '已完成',
      reply: '补充说明', send: '发送', reopen: '问题没解决，重新打开', rate: '评价本次服务', rate_send: '提交评价', rated: '感谢您的评价',
      comment: '说点什么（可选）', no_token: '回复、重开和评价需要在提交工单的设备上操作', unassigned: '等待分配', resolution: '处理结果', timeline: '处理记录', sent: '已发送',
    },
    common: { failed: '出错了', loading: '加载中…' },
  },
  en: {
    nav: { help: 'Help', order: 'Order', ticket: 'New ticket', track: 'Track', commitments: 'Our service commitments' },
    help: { go: 'Search', search: 'Search, e.g. card key not received', categories: 'Categories', results: 'Results', none: 'No matching article', back: 'Back', all: 'All articles', still: 'Still stuck?', submit: 'Open a ticket' },
    order: {
      title: 'Order lookup', no: 'Order number', contact: 'Phone or email used for the order', submit: 'Look up', status: 'Status', amount: 'Amount', paid: 'Paid',
      delivery: 'Delivery', card_keys: 'Card keys', delivered_at: 'Delivered', method: 'Payment', refunded: 'Refunded', problem: 'Problem with this order? Open a ticket',
    },
    form: {
      title: 'Open a ticket', type: 'Problem type', order_no: 'Order number', paid_at: 'Paid at', amount: 'Amount paid (yuan)', method: 'Payment method', contact: 'Contact (phone or email)',
      description: 'What happened', demand: 'What you want', evidence: 'Screenshots', upload: 'Upload image', urgent: 'Urgent', submit: 'Submit',
      required: '{field} is required', done: 'Ticket submitted', number: 'Ticket number', keep: 'Keep this number to track your ticket', track: 'Track it',
      demands: { resend: 'Resend / top up again', refund: 'Refund', explain: 'Explanation', other: 'Other' },
    },
    track: {
      title: 'Ticket status', live: 'Live', number: 'Ticket number', contact: 'Phone or email on the ticket', submit: 'Track', handler: 'Handler', promised: 'Promised by',
      first_response: 'First response', queue: 'Queue', queue_text: '{n} ahead of you, about {m} min', pending: 'Pending', in_progress: 'In progress', done: 'Done',
      reply: 'Add information', send: 'Send', reopen: 'Not solved — reopen', rate: 'Rate our service', rate_send: 'Send rating', rated: 'Thanks for rating',
      comment: 'Comment (optional)', no_token: 'Replying, reopening and rating work on the device the ticket was opened from', unassigned: 'Being assigned', resolution: 'Resolution', timeline: 'History', sent: 'Sent',
    },
    common: { failed: 'Something went wrong', loading: 'Loading…' },
  },
}
