//! adapter-runtime against the real fake runtime.
