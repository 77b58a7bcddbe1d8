//! Imitates the PROMETEU runtime (`prometeu run build`, `prometeu debug build`), driven by
//! environment variables so that tests can make it misbehave in every way the adapter must
//! survive.
fn main() {}
