"""The contracts between the hops: message schemas, the worker ↔ sandbox protocol, the result
schema and the errors they raise. Every hop validates what it receives with these, so a sender cannot
produce what a receiver would refuse. Imports only `judge` (the language table, engine types)."""
