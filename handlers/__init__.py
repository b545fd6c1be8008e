"""The Telegram adapter: the only place that reads ``Update``."""
