"""The demo: a fictional town's edition, its clause and the site's documents (``urna demo``)."""
