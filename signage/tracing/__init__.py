"""Health officers' exposure queries over check-ins, every one audited."""
