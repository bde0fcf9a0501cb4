"""The worker: delivers the outbox and runs the periodic jobs, in `yiwen serve` or on its own."""
