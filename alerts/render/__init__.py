"""From a `Notification` to what each channel sends: Slack blocks, email, webhook JSON, Alertmanager alerts.

Pure functions, no I/O. `summarize` computes the facts once; each renderer escapes them for its
medium (see `escaping`), so mention text can never ping, inject headers or inject HTML.
"""

from alerts.render.alertmanager import render_alertmanager
from alerts.render.email import email_subject, render_email, render_html
from alerts.render.slack import render_slack
from alerts.render.summary import NotificationSummary, render_text, summarize
from alerts.render.webhook import render_webhook, rfc3339

__all__ = [
    "NotificationSummary",
    "email_subject",
    "render_alertmanager",
    "render_email",
    "render_html",
    "render_slack",
    "render_text",
    "render_webhook",
    "rfc3339",
    "summarize",
]
