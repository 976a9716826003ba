"""Results: tallying, allocation rules, pabulib import and export."""
