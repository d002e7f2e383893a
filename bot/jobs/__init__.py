"""Scheduled work: the job context, the alert pass, digests, outbox delivery, and the clock that runs them."""
