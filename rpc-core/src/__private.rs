//! Used by code the `#[rpc]` attribute generates. Not public API: anything
//! here may change in any release.

pub use serde;
pub use serde_json;
pub use std::boxed::Box;
pub use std::option::Option::{self, None, Some};
pub use std::result::Result::{self, Err, Ok};
pub use std::sync::Arc;
