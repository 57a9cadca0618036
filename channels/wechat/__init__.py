"""The WeChat front (issue 17): residents on a 公众号 (Official Account), alerts to social workers
on 企业微信 (WeCom), built on wechatpy."""
