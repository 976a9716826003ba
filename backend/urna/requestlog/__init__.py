"""Request logs: middleware, batched writer, host names, statistics and their console
screens. Below the domains: imports only core."""
