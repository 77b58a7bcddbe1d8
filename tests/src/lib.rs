//! Shared helpers for the integration tests and the fake programs they run.
