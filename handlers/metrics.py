"""Prometheus metrics of the Telegram side (served by the HTTP app at /metrics, with the
NLU's latency from nlu/pool.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter("teams_updates_total", "Updates handled", ["kind"])
ERRORS = Counter("teams_errors_total", "Updates whose handling failed", ["kind"])
REPLY_LATENCY = Histogram("teams_reply_latency_seconds",
                          "From receiving an update to the last reply sent",
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
HANDOVERS_WAITING = Gauge("teams_handovers_waiting", "Hand-overs nobody has claimed yet")
FLOOD_SLOWED = Counter("teams_flood_slowed_total",
                       "Messages made to wait by flood control (none is dropped)")
DEAD_LETTERS = Counter("teams_dead_letters_total",
                       "Updates put aside because they could not be handled", ["stage"])
