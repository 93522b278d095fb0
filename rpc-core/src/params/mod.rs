//! Method parameters: a view of the raw `params` member and the one-pass
//! decoder that turns it into Rust argument types.
//!
//! A method's arguments decode as a tuple, `(A, B, ...)`, from either form
//! the caller chose:
//!
//! - positional, `[1, 2]`: element `i` is argument `i`;
//! - named, `{"a": 1, "b": 2}`: looked up by the argument names, in any order.
//!
//! Absent `params`, `[]` and `{}` all mean "no arguments". An argument whose
//! type accepts a missing value (an `Option<T>`) may be left out: at the end
//! of an array, or anywhere in an object. Everything else is strict: too
//! many elements, an unknown or repeated name, a missing argument or a value
//! of the wrong type each give a `-32602` error that names the parameter, its
//! position and the expected type.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`Params`], the view of one call's `params`, and the entry of decoding |
//! | `names.rs` | [`ParamNames`], the argument names (and written types) decoding reads |
//! | `tuple.rs` | [`ParamList`], implemented for tuples of arguments, and `StrArg` |
//! | `state.rs` | what the decoder records as it goes, and the `-32602` error built from it |

mod names;
mod state;
mod tuple;

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::Error;
use state::{message_of, DecodeState, ParamErrorData};

pub use names::ParamNames;
pub use tuple::{ParamList, StrArg};

/// The `params` of one call, borrowed from the request.
///
/// ```
/// use rpc_core::Params;
/// use serde_json::value::RawValue;
///
/// let raw = RawValue::from_string(r#"{"b": 2, "a": 40}"#.to_owned()).unwrap();
/// let params = Params::new(Some(&raw));
/// let (a, b): (i64, i64) = params.decode(&["a", "b"]).unwrap();
/// assert_eq!(a + b, 42);
///
/// let raw = RawValue::from_string("[40]".to_owned()).unwrap();
/// let (a, b): (i64, Option<i64>) = Params::new(Some(&raw)).decode(&["a", "b"]).unwrap();
/// assert_eq!((a, b), (40, None));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    /// The member's JSON text: known valid (read by the parser, or a
    /// `RawValue`), or a bracketed span that the decoding of an `#[rpc]`
    /// method checks (see [`Router::parse`](crate::Router::parse)).
    raw: Option<&'a str>,
}

impl Default for Params<'_> {
    /// No params.
    fn default() -> Self {
        Self::from_checked(None)
    }
}

impl<'a> Params<'a> {
    /// Wraps a raw `params` member (`None` when the request had none).
    pub fn new(raw: Option<&'a RawValue>) -> Self {
        Self {
            raw: raw.map(RawValue::get),
        }
    }

    /// Wraps `params` text the request parser has proven valid JSON, or,
    /// for a method that decodes its params before anything else, a
    /// delimited span that the decoding checks: serde_json reads every
    /// byte of it and refuses what is not JSON, and the router then answers
    /// the parse error the parser would have given.
    pub(crate) fn from_checked(text: Option<&'a str>) -> Self {
        Self { raw: text }
    }

    /// The raw JSON, exactly as sent.
    ///
    /// The parser keeps `params` as checked text; this reads it once more
    /// to hand it out as a `RawValue`. [`text`](Self::text) does not.
    pub fn raw(self) -> Option<&'a RawValue> {
        self.raw
            .and_then(|text| serde_json::from_str::<&RawValue>(text).ok())
    }

    /// The raw JSON text, exactly as sent (from a request, always an array
    /// or an object).
    pub fn text(self) -> Option<&'a str> {
        self.raw
    }

    /// Whether the params are an array.
    pub fn is_positional(self) -> bool {
        self.first_byte() == Some(b'[')
    }

    /// Whether the params are an object.
    pub fn is_named(self) -> bool {
        self.first_byte() == Some(b'{')
    }

    fn first_byte(self) -> Option<u8> {
        self.raw.and_then(|text| text.as_bytes().first().copied())
    }

    /// Decodes the whole `params` member as one `T` (absent params read as `null`).
    ///
    /// Use this when a method takes a single struct or a list; use
    /// [`decode`](Self::decode) to take arguments by position or name.
    pub fn parse<T: Deserialize<'a>>(self) -> Result<T, Error> {
        let text = self.raw.unwrap_or("null");
        serde_json::from_str(text).map_err(|err| {
            let reason = message_of(&err);
            Error::invalid_params(format!("Invalid params: {reason}"))
                .with_data(&ParamErrorData::reason(&reason))
        })
    }

    /// Decodes the arguments of a method into a tuple, from an array or an
    /// object, with `names` naming each position. Unknown names are refused.
    pub fn decode<T: ParamList<'a>>(self, names: &(impl ParamNames + ?Sized)) -> Result<T, Error> {
        self.decode_with(names, false)
    }

    /// Like [`decode`](Self::decode); with `allow_unknown`, members of a named
    /// `params` object that match no argument are skipped instead of refused.
    pub fn decode_with<T: ParamList<'a>>(
        self,
        names: &(impl ParamNames + ?Sized),
        allow_unknown: bool,
    ) -> Result<T, Error> {
        let mut state = DecodeState::new(names.names(), T::LEN, allow_unknown);
        let Some(raw) = self.raw else {
            let empty =
                de::value::SeqDeserializer::<_, serde_json::Error>::new(std::iter::empty::<()>());
            return T::decode_seq(empty, &mut state).map_err(|err| state.into_error(&err));
        };
        let mut de = serde_json::Deserializer::from_str(raw);
        let visitor = ParamsVisitor::<T> {
            state: &mut state,
            marker: PhantomData,
        };
        let result = match raw.as_bytes().first() {
            Some(b'{') => de.deserialize_map(visitor),
            _ => de.deserialize_seq(visitor),
        };
        result.map_err(|err| state.into_error(&err))
    }
}

struct ParamsVisitor<'s, 'n, T> {
    state: &'s mut DecodeState<'n>,
    marker: PhantomData<T>,
}

impl<'de, T: ParamList<'de>> Visitor<'de> for ParamsVisitor<'_, '_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array or an object of parameters")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::decode_seq(seq, self.state)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::decode_map(map, self.state)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::listing::ParamInfo;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    fn decode<'a, T: ParamList<'a>>(raw: &'a RawValue) -> Result<T, Error> {
        Params::new(Some(raw)).decode(&["a", "b"])
    }

    fn data(err: &Error) -> serde_json::Value {
        serde_json::from_str(err.data().unwrap().get()).unwrap()
    }

    #[test]
    fn positional_and_named_give_the_same_arguments() {
        let p = raw("[1, 2]");
        let n = raw(r#"{"b": 2, "a": 1}"#);
        assert_eq!(decode::<(i32, i32)>(&p).unwrap(), (1, 2));
        assert_eq!(decode::<(i32, i32)>(&n).unwrap(), (1, 2));
    }

    #[test]
    fn absent_empty_array_and_empty_object_mean_no_arguments() {
        let names: [&str; 0] = [];
        assert!(Params::new(None).decode::<()>(&names).is_ok());
        for text in ["[]", "{}"] {
            let value = raw(text);
            assert!(Params::new(Some(&value)).decode::<()>(&names).is_ok());
            assert_eq!(
                decode::<(Option<u8>, Option<u8>)>(&value).unwrap(),
                (None, None)
            );
        }
        assert_eq!(
            Params::new(None).decode::<(Option<u8>,)>(&["a"]).unwrap(),
            (None,)
        );
    }

    #[test]
    fn trailing_options_may_be_omitted_but_required_ones_may_not() {
        assert_eq!(
            decode::<(i32, Option<i32>)>(&raw("[1]")).unwrap(),
            (1, None)
        );
        assert_eq!(
            decode::<(Option<i32>, i32)>(&raw(r#"{"b": 3}"#)).unwrap(),
            (None, 3)
        );
        let err = decode::<(Option<i32>, i32)>(&raw("[3]")).unwrap_err();
        assert_eq!(err.code().code(), -32602);
        assert_eq!(
            err.message(),
            "Invalid params: missing parameter `b` (position 1)"
        );
        assert_eq!(data(&err)["param"], "b");
        assert_eq!(data(&err)["position"], 1);
    }

    #[test]
    fn wrong_type_names_the_parameter_and_expected_type() {
        let err = decode::<(i32, i32)>(&raw(r#"[1, "x"]"#)).unwrap_err();
        assert!(
            err.message()
                .starts_with("Invalid params: parameter `b` (position 1): invalid type: string"),
            "{}",
            err.message()
        );
        let data = data(&err);
        assert_eq!(data["param"], "b");
        assert!(
            data.get("expected").is_none(),
            "no Rust type paths on the wire without a listing"
        );
        assert!(!data["reason"].as_str().unwrap().contains("line"));

        let infos = [
            ParamInfo::new("left", "u8", false),
            ParamInfo::new("right", "MyType", false),
        ];
        let value = raw(r#"{"left": 1, "right": true}"#);
        let err = Params::new(Some(&value))
            .decode::<(u8, String)>(&infos[..])
            .unwrap_err();
        let data = serde_json::from_str::<serde_json::Value>(err.data().unwrap().get()).unwrap();
        assert_eq!(data["param"], "right");
        assert_eq!(data["expected"], "MyType");
    }

    #[test]
    fn too_many_positional_parameters() {
        let err = decode::<(i32, i32)>(&raw("[1, 2, 3, 4]")).unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid params: expected at most 2 parameters, got 4"
        );
        let value = raw("[1, 2]");
        let err = Params::new(Some(&value))
            .decode::<(i32,)>(&["a"])
            .unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid params: expected at most 1 parameter, got 2"
        );
    }

    #[test]
    fn unknown_and_duplicate_named_parameters() {
        let err = decode::<(i32, i32)>(&raw(r#"{"a": 1, "b": 2, "c": 3}"#)).unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid params: unknown parameter `c`; expected one of: `a`, `b`"
        );
        let err = decode::<(i32, i32)>(&raw(r#"{"a": 1, "a": 2, "b": 3}"#)).unwrap_err();
        assert_eq!(err.message(), "Invalid params: parameter `a` given twice");
        let value = raw(r#"{"a": 1, "zzz": [1, {"x": 2}], "b": 2}"#);
        assert_eq!(
            Params::new(Some(&value))
                .decode_with::<(i32, i32)>(&["a", "b"], true)
                .unwrap(),
            (1, 2)
        );
    }

    #[test]
    fn escaped_names_match() {
        assert_eq!(
            decode::<(i32, i32)>(&raw(r#"{"\u0061": 1, "b": 2}"#)).unwrap(),
            (1, 2)
        );
    }

    #[test]
    fn borrowed_strings_do_not_copy() {
        let value = raw(r#"["hello", "w\u00f6rld"]"#);
        let (a, b): (&str, Cow<'_, str>) = decode(&value).unwrap();
        assert_eq!(a, "hello");
        assert_eq!(b, "wörld");
        assert!(std::ptr::eq(a.as_ptr(), value.get()[2..].as_ptr()));
    }

    #[test]
    fn parse_reads_the_whole_member() {
        let value = raw("[1, 2, 3]");
        assert_eq!(
            Params::new(Some(&value)).parse::<Vec<u8>>().unwrap(),
            vec![1, 2, 3]
        );
        assert_eq!(Params::new(None).parse::<Option<u8>>().unwrap(), None);
        let err = Params::new(Some(&value)).parse::<String>().unwrap_err();
        assert_eq!(err.code().code(), -32602);
    }
}
