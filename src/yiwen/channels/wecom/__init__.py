"""WeCom customer service (微信客服) channel adapter."""
