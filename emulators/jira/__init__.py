"""The Jira Cloud/Data Center emulator: handler, in-memory site, JSON shapes, generated story, JQL."""
