"""Fraud signals over ballots, request logs and identities (keyed hashes only), grouped
into cases. Reads other domains; nobody imports it but the app factory and the CLI."""
