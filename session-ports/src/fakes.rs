//! Scripted fakes of the ports, for timeline scenarios.
