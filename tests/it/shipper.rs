//! adapter-shipper against real fake build tools.
