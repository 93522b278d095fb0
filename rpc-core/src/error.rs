//! The JSON-RPC error object and its codes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::value::RawValue;

/// A JSON-RPC error code.
///
/// The specification reserves `-32768..=-32000`: five codes are defined
/// ([`PARSE_ERROR`](Self::PARSE_ERROR) and friends) and `-32099..=-32000` is
/// left to servers. Every other integer is free for applications.
///
/// ```
/// use rpc_core::ErrorCode;
///
/// assert_eq!(ErrorCode::METHOD_NOT_FOUND.code(), -32601);
/// assert!(ErrorCode::new(-32001).is_server_error());
/// assert!(!ErrorCode::new(42).is_reserved());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(i32);

impl ErrorCode {
    /// `-32700`: the server received invalid JSON.
    pub const PARSE_ERROR: Self = Self(-32700);
    /// `-32600`: the JSON sent is not a valid request object.
    pub const INVALID_REQUEST: Self = Self(-32600);
    /// `-32601`: the method does not exist or is not available.
    pub const METHOD_NOT_FOUND: Self = Self(-32601);
    /// `-32602`: invalid method parameters.
    pub const INVALID_PARAMS: Self = Self(-32602);
    /// `-32603`: internal JSON-RPC error.
    pub const INTERNAL_ERROR: Self = Self(-32603);
    /// `-32000`: the generic implementation-defined server error.
    pub const SERVER_ERROR: Self = Self(-32000);

    /// Wraps any integer as an error code.
    pub const fn new(code: i32) -> Self {
        Self(code)
    }

    /// The integer sent on the wire.
    pub const fn code(self) -> i32 {
        self.0
    }

    /// Whether the code lies in `-32768..=-32000`, the range the specification reserves.
    pub const fn is_reserved(self) -> bool {
        self.0 >= -32768 && self.0 <= -32000
    }

    /// Whether the code lies in `-32099..=-32000`, reserved for implementation-defined server errors.
    pub const fn is_server_error(self) -> bool {
        self.0 >= -32099 && self.0 <= -32000
    }

    /// The specification's message for the predefined codes, `"Server error"`
    /// for the server range, `None` for application codes.
    pub const fn standard_message(self) -> Option<&'static str> {
        match self.0 {
            -32700 => Some("Parse error"),
            -32600 => Some("Invalid Request"),
            -32601 => Some("Method not found"),
            -32602 => Some("Invalid params"),
            -32603 => Some("Internal error"),
            _ if self.is_server_error() => Some("Server error"),
            _ => None,
        }
    }
}

impl From<i32> for ErrorCode {
    fn from(code: i32) -> Self {
        Self(code)
    }
}

impl From<ErrorCode> for i32 {
    fn from(code: ErrorCode) -> Self {
        code.0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A JSON-RPC error object: a code, a short message and optional structured data.
///
/// This is what methods return on failure. Any error type of your own can be
/// returned from a method as long as it converts into this one (`impl
/// From<MyError> for rpc_core::Error`), which is where you pick its code,
/// message and data.
///
/// ```
/// use rpc_core::{Error, ErrorCode};
///
/// #[derive(Debug)]
/// enum BankError {
///     Insufficient { missing: u64 },
/// }
///
/// impl From<BankError> for Error {
///     fn from(err: BankError) -> Self {
///         match err {
///             BankError::Insufficient { missing } => {
///                 Error::new(ErrorCode::new(1001), "insufficient funds").with_data(&missing)
///             }
///         }
///     }
/// }
///
/// let err = Error::from(BankError::Insufficient { missing: 5 });
/// assert_eq!(err.code().code(), 1001);
/// assert_eq!(err.data().unwrap().get(), "5");
/// ```
#[derive(Debug, Clone)]
pub struct Error {
    code: ErrorCode,
    message: Cow<'static, str>,
    data: Option<Box<RawValue>>,
}

impl Error {
    /// An error with a code and a message, without data.
    pub fn new(code: impl Into<ErrorCode>, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `data`, serialized to JSON now.
    ///
    /// A value that cannot be serialized (a map with non-string keys, a
    /// failing `Serialize` impl) leaves the error without data and logs why;
    /// the error itself is never lost.
    #[must_use]
    pub fn with_data<T: Serialize + ?Sized>(mut self, data: &T) -> Self {
        match serde_json::value::to_raw_value(data) {
            Ok(raw) => self.data = Some(raw),
            Err(err) => {
                tracing::warn!(code = self.code.0, error = %err, "error data could not be serialized; sent without data");
                self.data = None;
            }
        }
        self
    }

    /// Attaches data that is already JSON text.
    #[must_use]
    pub fn with_raw_data(mut self, data: Box<RawValue>) -> Self {
        self.data = Some(data);
        self
    }

    /// `-32700 Parse error`.
    pub fn parse_error() -> Self {
        ErrorCode::PARSE_ERROR.into()
    }

    /// `-32600 Invalid Request`.
    pub fn invalid_request() -> Self {
        ErrorCode::INVALID_REQUEST.into()
    }

    /// `-32601 Method not found`.
    pub fn method_not_found() -> Self {
        ErrorCode::METHOD_NOT_FOUND.into()
    }

    /// `-32602` with a message that says which parameter is wrong and why.
    pub fn invalid_params(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }

    /// `-32603 Internal error`.
    pub fn internal_error() -> Self {
        ErrorCode::INTERNAL_ERROR.into()
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The data member, as the JSON text that was (or will be) sent.
    pub fn data(&self) -> Option<&RawValue> {
        self.data.as_deref()
    }

    /// Decodes the data member into `T`; `None` when there is no data.
    pub fn data_as<'a, T: Deserialize<'a>>(&'a self) -> Option<Result<T, serde_json::Error>> {
        self.data
            .as_deref()
            .map(|raw| serde_json::from_str(raw.get()))
    }
}

impl From<ErrorCode> for Error {
    /// The error with the code's standard message (or `"Application error"`
    /// for codes outside the reserved range).
    fn from(code: ErrorCode) -> Self {
        Self::new(code, code.standard_message().unwrap_or("Application error"))
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.message == other.message
            && self.data.as_deref().map(RawValue::get) == other.data.as_deref().map(RawValue::get)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code.0)?;
        if let Some(data) = &self.data {
            write!(f, ", data: {}", data.get())?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = if self.data.is_some() { 3 } else { 2 };
        let mut object = serializer.serialize_struct("Error", len)?;
        object.serialize_field("code", &self.code.0)?;
        object.serialize_field("message", &*self.message)?;
        if let Some(data) = &self.data {
            object.serialize_field("data", data)?;
        }
        object.end()
    }
}

impl<'de> Deserialize<'de> for Error {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ErrorVisitor;

        impl<'de> Visitor<'de> for ErrorVisitor {
            type Value = Error;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON-RPC error object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Error, A::Error> {
                let mut code = None;
                let mut message = None;
                let mut data = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match &*key {
                        "code" if code.is_none() => code = Some(map.next_value::<i32>()?),
                        "message" if message.is_none() => {
                            message = Some(map.next_value::<String>()?);
                        }
                        "data" if data.is_none() => {
                            data = Some(map.next_value::<Box<RawValue>>()?);
                        }
                        "code" | "message" | "data" => {
                            return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let code = code.ok_or_else(|| de::Error::missing_field("code"))?;
                let message = message.ok_or_else(|| de::Error::missing_field("message"))?;
                Ok(Error {
                    code: ErrorCode(code),
                    message: Cow::Owned(message),
                    data,
                })
            }
        }

        deserializer.deserialize_map(ErrorVisitor)
    }
}

/// At most 64 bytes of a caller-chosen name, for echoing it in an error
/// without letting a huge name make a huge answer.
pub(crate) fn clip(name: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 64;
    if name.len() <= MAX {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut end = MAX;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}…", &name[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_codes_carry_the_specification_messages() {
        let cases = [
            (ErrorCode::PARSE_ERROR, -32700, "Parse error"),
            (ErrorCode::INVALID_REQUEST, -32600, "Invalid Request"),
            (ErrorCode::METHOD_NOT_FOUND, -32601, "Method not found"),
            (ErrorCode::INVALID_PARAMS, -32602, "Invalid params"),
            (ErrorCode::INTERNAL_ERROR, -32603, "Internal error"),
            (ErrorCode::new(-32050), -32050, "Server error"),
        ];
        for (code, number, message) in cases {
            assert_eq!(code.code(), number);
            assert_eq!(Error::from(code).message(), message);
        }
        assert_eq!(ErrorCode::new(7).standard_message(), None);
    }

    #[test]
    fn ranges() {
        assert!(ErrorCode::new(-32000).is_server_error());
        assert!(ErrorCode::new(-32099).is_server_error());
        assert!(!ErrorCode::new(-32100).is_server_error());
        assert!(ErrorCode::new(-32768).is_reserved());
        assert!(!ErrorCode::new(-32769).is_reserved());
        assert!(!ErrorCode::new(-31999).is_reserved());
    }

    #[test]
    fn serializes_without_data_member_when_absent() {
        let text = serde_json::to_string(&Error::method_not_found()).unwrap();
        assert_eq!(text, r#"{"code":-32601,"message":"Method not found"}"#);
    }

    #[test]
    fn serializes_and_reads_back_data() {
        let err = Error::new(12, "bad \"thing\"").with_data(&[1, 2]);
        let text = serde_json::to_string(&err).unwrap();
        assert_eq!(
            text,
            r#"{"code":12,"message":"bad \"thing\"","data":[1,2]}"#
        );
        let back: Error = serde_json::from_str(&text).unwrap();
        assert_eq!(back, err);
        assert_eq!(back.data_as::<Vec<i32>>().unwrap().unwrap(), vec![1, 2]);
    }

    #[test]
    fn unserializable_data_is_dropped_not_fatal() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(vec![1u8], 1);
        let err = Error::new(1, "x").with_data(&map);
        assert!(err.data().is_none());
        assert_eq!(err.message(), "x");
    }

    #[test]
    fn deserialize_rejects_missing_code_and_duplicates() {
        assert!(serde_json::from_str::<Error>(r#"{"message":"x"}"#).is_err());
        assert!(serde_json::from_str::<Error>(r#"{"code":1,"code":2,"message":"x"}"#).is_err());
        let ok: Error = serde_json::from_str(r#"{"code":1,"message":"x","extra":true}"#).unwrap();
        assert_eq!(ok.code().code(), 1);
    }
}
