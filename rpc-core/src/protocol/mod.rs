//! Wire types: ids, requests and responses, read and written without `serde_json::Value`.

mod fast;
mod id;
mod request;
mod response;

pub use id::Id;
pub use request::Request;
pub use response::error_response;

pub(crate) use request::{parse_message, Entry, Message, MessageError, PARSER_MAX_DEPTH};
pub(crate) use response::{write_error, write_id_suffix, Response, RESULT_PREFIX};
