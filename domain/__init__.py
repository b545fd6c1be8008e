"""The heart of the assistant: conversation engine and the service's rules.

Nothing here imports Telegram or SQLAlchemy; storage, NLU, translations and the clock are
reached through the ports in :mod:`domain.ports`.
"""
