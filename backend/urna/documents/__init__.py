"""Versioned public documents (privacy policy, each edition's information clause,
accessibility statement) and their change register. Below voting, which records the clause
version each voter was shown; privacy and the console publish and show them."""
