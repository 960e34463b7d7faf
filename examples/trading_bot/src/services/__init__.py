"""Services built on top of the exchange client."""
