"""Core infrastructure: circuit breaker and scheduler."""
