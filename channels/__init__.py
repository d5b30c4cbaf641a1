"""Adapters the notification worker delivers through: SMTP for email, HTTP for signed
webhooks. The domain's interfaces are in rollout.notifications.delivery."""
