//! Wire types: ids, requests and responses, read and written without `serde_json::Value`.
//!
//! | file | job |
//! |---|---|
//! | `id.rs` | request ids, kept as the exact JSON text received |
//! | `message.rs` | the parsed shape of a message: requests, batch entries, message errors |
//! | `parse.rs` | the entry point: limits, then one of the two readers below |
//! | `fast.rs` | the byte scanner for the common shape of a message |
//! | `full.rs` | the full `serde_json` parse for every other message |
//! | `response.rs` | answers written straight into the output buffer, and read back by clients |

mod fast;
mod full;
mod id;
mod message;
mod parse;
mod response;

pub use id::Id;
pub use message::Request;
pub use response::error_response;

pub(crate) use fast::{params_are_valid, DecodesFirst};
pub(crate) use message::{Entry, Message, MessageError};
#[cfg(fuzzing)]
pub use parse::scanner_and_full_parse;
pub(crate) use parse::{parse_message, PARSER_MAX_DEPTH};
pub(crate) use response::{write_error, write_id_suffix, Response, RESULT_PREFIX};
