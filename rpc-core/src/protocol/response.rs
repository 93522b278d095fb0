//! Writing responses straight into the output buffer, and reading them back (client side).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::id::{classify, Id};
use crate::error::Error;

pub(crate) const RESULT_PREFIX: &[u8] = br#"{"jsonrpc":"2.0","result":"#;
const ERROR_PREFIX: &[u8] = br#"{"jsonrpc":"2.0","error":"#;
const ID_INFIX: &[u8] = br#","id":"#;

/// Closes a success response whose result was written after [`RESULT_PREFIX`].
pub(crate) fn write_id_suffix(out: &mut Vec<u8>, id: &Id<'_>) {
    out.extend_from_slice(ID_INFIX);
    out.extend_from_slice(id.as_json().as_bytes());
    out.push(b'}');
}

/// Writes a whole error response; a missing id is written as `null`.
pub(crate) fn write_error(out: &mut Vec<u8>, error: &Error, id: Option<&Id<'_>>) {
    out.extend_from_slice(ERROR_PREFIX);
    serde_json::to_writer(&mut *out, error).expect("error objects always serialize");
    out.extend_from_slice(ID_INFIX);
    out.extend_from_slice(id.map_or("null", Id::as_json).as_bytes());
    out.push(b'}');
}

/// A whole error response, for answers made outside a router (a transport
/// refusing a body, a timeout). A missing id is written as `null`.
///
/// ```
/// use rpc_core::{error_response, Error, Id};
///
/// let bytes = error_response(&Error::invalid_request(), Some(&Id::number(3)));
/// assert_eq!(bytes, br#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":3}"#);
/// ```
pub fn error_response(error: &Error, id: Option<&Id<'_>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    write_error(&mut out, error, id);
    out
}

/// A response object read by a client: the id and the raw result or the error.
#[derive(Debug)]
pub(crate) struct Response<'a> {
    pub(crate) id: Id<'a>,
    pub(crate) payload: Result<&'a RawValue, Error>,
}

impl<'de> Deserialize<'de> for Response<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ResponseVisitor)
    }
}

struct ResponseVisitor;

impl<'de> Visitor<'de> for ResponseVisitor {
    type Value = Response<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC 2.0 response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut version_ok = false;
        let mut result: Option<&'de RawValue> = None;
        let mut error: Option<Error> = None;
        let mut id: Option<&'de RawValue> = None;
        let mut version_seen = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            // A member given twice is refused, as the server refuses it in requests.
            let repeated = match &*key {
                "jsonrpc" => {
                    version_ok = map.next_value::<Cow<'de, str>>()? == "2.0";
                    std::mem::replace(&mut version_seen, true)
                }
                "result" => result.replace(map.next_value()?).is_some(),
                "error" => error.replace(map.next_value()?).is_some(),
                "id" => id.replace(map.next_value()?).is_some(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    false
                }
            };
            if repeated {
                return Err(de::Error::custom(format_args!("`{key}` appears twice")));
            }
        }
        if !version_ok {
            return Err(de::Error::custom("`jsonrpc` is not \"2.0\""));
        }
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        if classify(id.get()).is_none() {
            return Err(de::Error::custom("`id` is not a string, number or null"));
        }
        let payload = match (result, error) {
            (Some(result), None) => Ok(result),
            (None, Some(error)) => Err(error),
            _ => {
                return Err(de::Error::custom(
                    "a response needs exactly one of `result` and `error`",
                ))
            }
        };
        Ok(Response {
            id: Id::from_checked(id.get()),
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_response_text() {
        let mut out = Vec::new();
        write_error(
            &mut out,
            &Error::method_not_found(),
            Some(&Id::from_json("\"1\"").unwrap()),
        );
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"}"#
        );
        out.clear();
        write_error(&mut out, &Error::parse_error(), None);
        assert!(out.ends_with(br#","id":null}"#));
    }

    #[test]
    fn success_response_keeps_id_text() {
        let mut out = RESULT_PREFIX.to_vec();
        out.extend_from_slice(b"19");
        write_id_suffix(&mut out, &Id::from_json("1.0").unwrap());
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"jsonrpc":"2.0","result":19,"id":1.0}"#
        );
    }

    #[test]
    fn reads_responses() {
        let ok: Response<'_> =
            serde_json::from_str(r#"{"jsonrpc":"2.0","result":[1],"id":3}"#).unwrap();
        assert_eq!(ok.id.as_json(), "3");
        assert_eq!(ok.payload.unwrap().get(), "[1]");
        let err: Response<'_> = serde_json::from_str(
            r#"{"id":null,"error":{"code":-32600,"message":"Invalid Request"},"jsonrpc":"2.0"}"#,
        )
        .unwrap();
        assert_eq!(err.payload.unwrap_err().code().code(), -32600);
        for bad in [
            r#"{"result":1,"id":1}"#,
            r#"{"jsonrpc":"2.0","result":1}"#,
            r#"{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":""},"id":1}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","result":1,"id":[1]}"#,
            r#"{"jsonrpc":"2.0","result":5,"id":2,"id":1}"#,
            r#"{"jsonrpc":"1.0","jsonrpc":"2.0","result":5,"id":1}"#,
            r#"{"jsonrpc":"2.0","result":5,"result":6,"id":1}"#,
            r#"{"jsonrpc":"2.0","error":{"code":1,"message":""},"error":{"code":2,"message":""},"id":1}"#,
        ] {
            assert!(serde_json::from_str::<Response<'_>>(bad).is_err(), "{bad}");
        }
    }
}
