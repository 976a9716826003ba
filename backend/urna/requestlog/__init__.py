"""Request logs: the middleware, the batched writer, host names, statistics and their console screens. Below the domains: imports only core."""
