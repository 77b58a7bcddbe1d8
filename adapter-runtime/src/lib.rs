//! Skeleton; filled by its issue.
