"""The WeChat front's metrics (issue 15's pattern), served at /metrics with the metrics token:
how each callback was answered and how long the reply took, and the notices sent. Labels are
paths and kinds, never an OpenID or anything a resident said."""

from prometheus_client import Counter, Histogram

from common.metrics import TURN_BUCKETS

CALLBACKS = Counter(
    "linli_wechat_callbacks_total",
    "Callbacks from WeChat, by how they were answered",
    ["answered_by"],  # passive, customer_service, again, refused
)
REPLY_SECONDS = Histogram(
    "linli_wechat_reply_seconds",
    "From a resident's message to the first part of the reply leaving the front",
    ["path"],  # passive, customer_service
    buckets=TURN_BUCKETS,
)
NOTICES = Counter(
    "linli_wechat_notices_total",
    "Notices from the backend's outbox, by audience and result",
    ["audience", "result"],  # staff/resident; sent, failed
)
