"""The verification team's console: cases, evidence, decisions by a person. Imported by
nobody but the app factory and the CLI."""
