//! Checked integer arithmetic for the example methods that users copy: an
//! answer that does not fit an `i64` is an error that says so, never a
//! wrapped number (nor, in a debug build, a panic answered with `-32603`).

use rpc_core::{Error, ErrorCode};

/// The error code of an integer overflow: an application error, outside the
/// range the specification reserves.
pub const OVERFLOW: ErrorCode = ErrorCode::new(1);

/// The overflow error, naming the operation.
pub fn overflow(operation: &str) -> Error {
    Error::new(OVERFLOW, "integer overflow").with_data(&format!(
        "the {operation} does not fit in a 64-bit signed integer"
    ))
}

/// `minuend - subtrahend`, or the overflow error.
pub fn subtract(minuend: i64, subtrahend: i64) -> Result<i64, Error> {
    minuend
        .checked_sub(subtrahend)
        .ok_or_else(|| overflow("difference"))
}

/// The sum of `values`, or the overflow error.
pub fn sum(values: &[i64]) -> Result<i64, Error> {
    values
        .iter()
        .try_fold(0i64, |total, &value| total.checked_add(value))
        .ok_or_else(|| overflow("sum"))
}
