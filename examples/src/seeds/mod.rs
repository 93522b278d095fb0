//! The seeds' own demos, ported: the servers of their READMEs, which their
//! own clients call unchanged (see `tests/tests/interop.rs`).
//!
//! | file | seed | demo |
//! |---|---|---|
//! | `math_sum.rs` | wsjsonrpc | `math.sum` at `ws://…/wsjsonrpc`, called singly and in batches |
//! | `ping.rs` | aiohttp-json-rpc | `ping` answering `"pong"`, and `get_methods` |

pub mod math_sum;
pub mod ping;
