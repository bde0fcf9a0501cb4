// The console's texts: zh-CN first, English alongside.
import { messagesA } from './admin/messagesA'
import { messagesB } from './admin/messagesB'

export const messages = {
  'zh-CN': {
    app: { name: '一问 客服工作台', inbox: '工作台', dashboard: '数据看板', board: '队列看板', admin: '管理', logout: '退出登录' },
    admin: { nothing: '没有可管理的项目', ...messagesA['zh-CN'], ...messagesB['zh-CN'] },
    presence: { online: '在线', away: '离开', offline: '离线' },
    login: { title: '客服登录', username: '用户名', password: '密码', submit: '登录', failed: '登录失败' },
    inbox: {
      all: '全部', mine: '我的', unassigned: '未分配', queue: '排队中', urgent: '紧急', at_risk: 'SLA 风险',
      empty: '暂无会话', pick: '从左侧选择一个会话', live: '实时', offline: '连接中断，正在重连…', more: '加载更多',
      unread: '{n} 条未读', overdue: '已超时 {t}', due_in: '剩 {t}',
    },
    status: { bot: '机器人接待', waiting: '等待人工', open: '处理中', resolved: '已解决', closed: '已关闭' },
    conv: {
      customer: '顾客', agent: '客服', bot: '机器人', system: '系统', note: '内部备注',
      reply: '回复顾客', note_tab: '内部备注', placeholder_reply: '输入回复，Ctrl+Enter 发送', placeholder_note: '仅客服可见的备注，Ctrl+Enter 保存',
      send: '发送', save_note: '保存备注', macros: '快捷回复', sent: '已发送', noted: '备注已保存',
      attachment: '附件', no_ticket: '此会话还没有工单', open_ticket: '建工单', subject: '标题',
      take: '接手', taken: '已接手',
    },
    ticket: {
      status: '状态', priority: '优先级', category: '问题类型', transfer: '转交', escalate: '升级', resolve: '解决',
      resolve_title: '解决工单', resolve_note: '处理说明（顾客可见）', resolved: '工单已解决', to_agent: '转交给',
      transfer_note: '转交说明', escalate_hint: '升级：转给资深客服/主管并提高优先级', transferred: '已转交', updated: '已更新',
      summary: '机器人案情摘要', first_response: '首次响应', resolution: '解决时限', handler: '处理人', unassigned: '未分配',
      timeline: '时间线', evidence: '凭证', orders: '关联订单', urgent: '紧急', reopen: '重新打开',
    },
    c360: {
      title: '客户 360', identities: '渠道身份', orders: '近 90 天订单', tickets: '历史工单', tags: '标签', tier: '等级',
      verified: '已验证', payment: '支付', delivery: '发货', pushes: '上游推送', card_keys: '卡密',
      reveal: '查看', reveal_reason: '查看原因', revealed: '卡密（已记录审计）', no_orders: '近 90 天没有找到订单',
      amount: '金额', refundable: '可退', paid_at: '支付时间', callback: '回调', target: '充值账号', resend_count: '补发次数',
      error: '错误', attempt: '第 {n} 次',
    },
    sop: {
      title: 'SOP 操作', order: '订单', resend_delivery: '补发卡密', repush_upstream: '重新推送上游', refund: '退款',
      issue_coupon: '发放优惠券', freeze_account: '冻结账号', unfreeze_account: '解冻账号',
      amount: '金额（元）', reason: '原因', confirm: '确认执行：{action}', confirm_body: '订单 {order}，此操作会记录在工单时间线和审计日志中。',
      done: '{action}：{status}（{ref}）', limit: '你的权限上限：{limit} 元', unlimited: '不限额', none_allowed: '你的角色没有可执行的操作',
      need_ticket: '先建工单再执行操作', shop_user: '店铺账号',
    },
    summary: { intent: '意图', order: '订单', status: '订单状态', amount: '金额', paid: '付款', method: '支付方式', wants: '诉求' },
    kpi: {
      title: '数据看板', from: '开始', to: '结束', tickets: '新建工单', frt: '首次响应中位数', rt: '解决时长中位数', fcr: '首次解决率',
      csat: '满意度', sla: 'SLA 达成率', containment: '机器人独立解决率', backlog: '积压', by_day: '按天', by_category: '按问题类型', by_agent: '按客服', by_channel: '按渠道',
    },
    board: { title: '队列看板', waiting: '等待', online: '在线客服', load: '负载', wait: '预计等待', oldest: '最早等待', at_risk: 'SLA 风险' },
    common: { cancel: '取消', ok: '确定', refresh: '刷新', loading: '加载中…', failed: '操作失败', none: '无', keys: '快捷键：j/k 上下切换 · r 回复 · n 备注 · Ctrl+Enter 发送' },
  },
  en: {
    app: { name: 'Yiwen agent console', inbox: 'Workspace', dashboard: 'Dashboard', board: 'Queue board', admin: 'Admin', logout: 'Log out' },
    admin: { nothing: 'Nothing to manage', ...messagesA.en, ...messagesB.en },
    presence: { online: 'Online', away: 'Away', offline: 'Offline' },
    login: { title: 'Staff login', username: 'Username', password: 'Password', submit: 'Log in', failed: 'Login failed' },
    inbox: {
      all: 'All', mine: 'Mine', unassigned: 'Unassigned', queue: 'Queue', urgent: 'Urgent', at_risk: 'SLA at risk',
      empty: 'No conversations', pick: 'Pick a conversation on the left', live: 'Live', offline: 'Disconnected, reconnecting…', more: 'Load more',
      unread: '{n} unread', overdue: 'overdue {t}', due_in: '{t} left',
    },
    status: { bot: 'With the bot', waiting: 'Waiting', open: 'Open', resolved: 'Resolved', closed: 'Closed' },
    conv: {
      customer: 'Customer', agent: 'Agent', bot: 'Bot', system: 'System', note: 'Internal note',
      reply: 'Reply', note_tab: 'Internal note', placeholder_reply: 'Type a reply, Ctrl+Enter to send', placeholder_note: 'Visible to staff only, Ctrl+Enter to save',
      send: 'Send', save_note: 'Save note', macros: 'Macros', sent: 'Sent', noted: 'Note saved',
      attachment: 'Attachment', no_ticket: 'No ticket for this conversation yet', open_ticket: 'Open ticket', subject: 'Subject',
      take: 'Take', taken: 'Taken',
    },
    ticket: {
      status: 'Status', priority: 'Priority', category: 'Category', transfer: 'Transfer', escalate: 'Escalate', resolve: 'Resolve',
      resolve_title: 'Resolve ticket', resolve_note: 'Resolution note (customer sees it)', resolved: 'Ticket resolved', to_agent: 'Transfer to',
      transfer_note: 'Note', escalate_hint: 'Escalate: hand to a senior agent or supervisor and raise the priority', transferred: 'Transferred', updated: 'Updated',
      summary: 'Bot case summary', first_response: 'First response', resolution: 'Resolution', handler: 'Handler', unassigned: 'Unassigned',
      timeline: 'Timeline', evidence: 'Evidence', orders: 'Orders', urgent: 'Urgent', reopen: 'Reopen',
    },
    c360: {
      title: 'Customer 360', identities: 'Identities', orders: 'Orders (90 days)', tickets: 'Past tickets', tags: 'Tags', tier: 'Tier',
      verified: 'verified', payment: 'Payment', delivery: 'Delivery', pushes: 'Upstream pushes', card_keys: 'Card keys',
      reveal: 'Reveal', reveal_reason: 'Reason for revealing', revealed: 'Card key (audited)', no_orders: 'No orders in the last 90 days',
      amount: 'Amount', refundable: 'Refundable', paid_at: 'Paid', callback: 'Callback', target: 'Top-up account', resend_count: 'Resends',
      error: 'Error', attempt: 'attempt {n}',
    },
    sop: {
      title: 'SOP actions', order: 'Order', resend_delivery: 'Resend key', repush_upstream: 'Re-push upstream', refund: 'Refund',
      issue_coupon: 'Issue coupon', freeze_account: 'Freeze account', unfreeze_account: 'Unfreeze account',
      amount: 'Amount (yuan)', reason: 'Reason', confirm: 'Confirm: {action}', confirm_body: 'Order {order}. This is recorded on the ticket timeline and in the audit log.',
      done: '{action}: {status} ({ref})', limit: 'Your limit: {limit} yuan', unlimited: 'no limit', none_allowed: 'Your role has no actions here',
      need_ticket: 'Open a ticket first', shop_user: 'Shop account',
    },
    summary: { intent: 'Intent', order: 'Order', status: 'Order status', amount: 'Amount', paid: 'Paid', method: 'Payment', wants: 'Wants' },
    kpi: {
      title: 'Dashboard', from: 'From', to: 'To', tickets: 'Tickets created', frt: 'Median first response', rt: 'Median resolution', fcr: 'First-contact resolution',
      csat: 'CSAT', sla: 'SLA met', containment: 'Bot containment', backlog: 'Backlog', by_day: 'By day', by_category: 'By category', by_agent: 'By agent', by_channel: 'By channel',
    },
    board: { title: 'Queue board', waiting: 'Waiting', online: 'Agents online', load: 'Load', wait: 'Est. wait', oldest: 'Oldest waiting', at_risk: 'SLA at risk' },
    common: { cancel: 'Cancel', ok: 'OK', refresh: 'Refresh', loading: 'Loading…', failed: 'Failed', none: 'None', keys: 'Keys: j/k next/previous · r reply · n note · Ctrl+Enter send' },
  },
}
