//! Runnable examples; see the `examples/` folder. Each one has a
//! `cargo run` line in its header, calls itself and exits.

pub mod arithmetic;
pub mod calculator;
pub mod redis_node;
pub mod seeds;
pub mod spec_methods;
pub mod ws_methods;
