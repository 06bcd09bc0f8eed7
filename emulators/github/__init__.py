"""The GitHub REST emulator: handler, in-memory model, JSON shapes, generated story, budgets."""
