"""Start-up wiring and entry points: settings, the command line, the terminal channel."""
