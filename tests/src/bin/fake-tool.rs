//! Imitates the shipper's build tools (`prometeuc build`, `prometeu-packer validate|pack`),
//! driven by environment variables.
fn main() {}
