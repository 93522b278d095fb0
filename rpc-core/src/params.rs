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

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::value::RawValue;

use crate::error::Error;
use crate::listing::ParamInfo;

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
#[derive(Debug, Clone, Copy, Default)]
pub struct Params<'a> {
    /// The member's JSON text, known valid (read by the parser, or a `RawValue`).
    raw: Option<&'a str>,
}

impl<'a> Params<'a> {
    /// Wraps a raw `params` member (`None` when the request had none).
    pub fn new(raw: Option<&'a RawValue>) -> Self {
        Self {
            raw: raw.map(RawValue::get),
        }
    }

    /// Wraps `params` text the request parser has proven valid JSON.
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
            Error::invalid_params(format!("Invalid params: {reason}")).with_data(&ParamErrorData {
                reason: &reason,
                ..ParamErrorData::default()
            })
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
        let mut state = DecodeState {
            names: names.names(),
            len: T::LEN,
            allow_unknown,
            failure: None,
        };
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

/// The names (and, optionally, written types) of a method's arguments, by position.
///
/// Implemented for lists of names (`["a", "b"]`) and for the macro's
/// [`ParamInfo`] lists, whose written types then appear in error messages.
pub trait ParamNames {
    #[doc(hidden)]
    fn names(&self) -> Names<'_>;
}

/// The two shapes of name lists the decoder reads.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Names<'a> {
    Plain(&'a [&'a str]),
    Info(&'a [ParamInfo]),
}

impl Names<'_> {
    fn name(&self, index: usize) -> Option<&str> {
        match self {
            Names::Plain(names) => names.get(index).copied(),
            Names::Info(infos) => infos.get(index).map(|info| info.name),
        }
    }

    fn type_name(&self, index: usize) -> Option<&str> {
        match self {
            Names::Plain(_) => None,
            Names::Info(infos) => infos.get(index).map(|info| info.ty),
        }
    }
}

impl ParamNames for [&str] {
    fn names(&self) -> Names<'_> {
        Names::Plain(self)
    }
}

impl<const N: usize> ParamNames for [&str; N] {
    fn names(&self) -> Names<'_> {
        Names::Plain(self)
    }
}

impl ParamNames for [ParamInfo] {
    fn names(&self) -> Names<'_> {
        Names::Info(self)
    }
}

impl<const N: usize> ParamNames for [ParamInfo; N] {
    fn names(&self) -> Names<'_> {
        Names::Info(self)
    }
}

/// A tuple of argument types that can be decoded from `params`.
///
/// Implemented for tuples of up to 16 elements whose types implement
/// `Deserialize`. The methods are the decoder's internals.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded as a list of RPC arguments",
    note = "use a tuple of at most 16 types that implement `serde::Deserialize`"
)]
pub trait ParamList<'de>: Sized {
    /// How many arguments the tuple holds.
    const LEN: usize;

    #[doc(hidden)]
    fn decode_seq<A: SeqAccess<'de>>(seq: A, state: &mut DecodeState<'_>)
        -> Result<Self, A::Error>;

    #[doc(hidden)]
    fn decode_map<A: MapAccess<'de>>(map: A, state: &mut DecodeState<'_>)
        -> Result<Self, A::Error>;
}

/// What went wrong, recorded by the decoder beside the `serde` error it returns.
#[derive(Debug)]
enum Failure {
    Invalid { index: usize },
    Missing { index: usize },
    TooMany { got: usize },
    Unknown { name: String },
    Duplicate { index: usize },
}

/// Decoder state shared by the tuple implementations.
#[doc(hidden)]
#[allow(
    missing_debug_implementations,
    reason = "internal state of the decoder"
)]
pub struct DecodeState<'n> {
    names: Names<'n>,
    len: usize,
    allow_unknown: bool,
    failure: Option<Failure>,
}

impl DecodeState<'_> {
    #[doc(hidden)]
    pub fn invalid(&mut self, index: usize) {
        self.failure = Some(Failure::Invalid { index });
    }

    /// A value for an argument the caller left out: `None` for an `Option`, an error otherwise.
    #[doc(hidden)]
    pub fn missing<'de, T: Deserialize<'de>, E: de::Error>(
        &mut self,
        index: usize,
    ) -> Result<T, E> {
        T::deserialize(MissingValue::<E>(PhantomData)).inspect_err(|_| {
            self.failure = Some(Failure::Missing { index });
        })
    }

    /// Refuses elements past the last argument, counting them for the message.
    #[doc(hidden)]
    pub fn no_more<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        let mut extra = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            extra += 1;
        }
        if extra == 0 {
            return Ok(());
        }
        self.failure = Some(Failure::TooMany {
            got: self.len + extra,
        });
        Err(de::Error::custom("too many parameters"))
    }

    /// The position of a named argument.
    #[doc(hidden)]
    pub fn index_of(&self, key: &str) -> Option<usize> {
        (0..self.len).find(|&index| self.names.name(index) == Some(key))
    }

    #[doc(hidden)]
    pub fn duplicate<E: de::Error>(&mut self, index: usize) -> E {
        self.failure = Some(Failure::Duplicate { index });
        de::Error::custom("duplicate parameter")
    }

    /// Skips or refuses a named member that matches no argument.
    #[doc(hidden)]
    pub fn unknown<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if self.allow_unknown {
            map.next_value::<IgnoredAny>()?;
            return Ok(());
        }
        self.failure = Some(Failure::Unknown {
            name: crate::dispatch::clip(key).into_owned(),
        });
        Err(de::Error::custom("unknown parameter"))
    }

    fn name(&self, index: usize) -> Cow<'_, str> {
        self.names
            .name(index)
            .map_or_else(|| Cow::Owned(format!("#{index}")), Cow::Borrowed)
    }

    /// The type as written in the source, when the names came from a listing.
    /// (Never `std::any::type_name`: internal paths do not belong on the wire.)
    fn type_name(&self, index: usize) -> Option<&str> {
        self.names.type_name(index)
    }

    #[cold]
    fn into_error(self, err: &serde_json::Error) -> Error {
        let reason = message_of(err);
        match &self.failure {
            Some(Failure::Invalid { index }) => {
                let name = self.name(*index);
                Error::invalid_params(format!(
                    "Invalid params: parameter `{name}` (position {index}): {reason}"
                ))
                .with_data(&ParamErrorData {
                    param: Some(&name),
                    position: Some(*index),
                    expected: self.type_name(*index),
                    reason: &reason,
                })
            }
            Some(Failure::Missing { index }) => {
                let name = self.name(*index);
                Error::invalid_params(format!(
                    "Invalid params: missing parameter `{name}` (position {index})"
                ))
                .with_data(&ParamErrorData {
                    param: Some(&name),
                    position: Some(*index),
                    expected: self.type_name(*index),
                    reason: "missing",
                })
            }
            Some(Failure::TooMany { got }) => {
                let reason = format!("expected at most {} parameters, got {got}", self.len);
                Error::invalid_params(format!("Invalid params: {reason}")).with_data(
                    &ParamErrorData {
                        reason: &reason,
                        ..ParamErrorData::default()
                    },
                )
            }
            Some(Failure::Unknown { name }) => {
                let expected: Vec<String> = (0..self.len)
                    .map(|index| format!("`{}`", self.name(index)))
                    .collect();
                let reason = if expected.is_empty() {
                    format!("unknown parameter `{name}`; this method takes none")
                } else {
                    format!(
                        "unknown parameter `{name}`; expected one of: {}",
                        expected.join(", ")
                    )
                };
                Error::invalid_params(format!("Invalid params: {reason}")).with_data(
                    &ParamErrorData {
                        param: Some(name),
                        reason: &reason,
                        ..ParamErrorData::default()
                    },
                )
            }
            Some(Failure::Duplicate { index }) => {
                let name = self.name(*index);
                Error::invalid_params(format!("Invalid params: parameter `{name}` given twice"))
                    .with_data(&ParamErrorData {
                        param: Some(&name),
                        position: Some(*index),
                        reason: "given twice",
                        ..ParamErrorData::default()
                    })
            }
            None => Error::invalid_params(format!("Invalid params: {reason}")).with_data(
                &ParamErrorData {
                    reason: &reason,
                    ..ParamErrorData::default()
                },
            ),
        }
    }
}

/// The `data` member of a `-32602` error.
#[derive(Default)]
struct ParamErrorData<'a> {
    param: Option<&'a str>,
    position: Option<usize>,
    expected: Option<&'a str>,
    reason: &'a str,
}

impl Serialize for ParamErrorData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("ParamError", 4)?;
        if let Some(param) = self.param {
            object.serialize_field("param", param)?;
        }
        if let Some(position) = self.position {
            object.serialize_field("position", &position)?;
        }
        if let Some(expected) = self.expected {
            object.serialize_field("expected", expected)?;
        }
        object.serialize_field("reason", self.reason)?;
        object.end()
    }
}

/// A `serde_json` error's message without its position (which would point into the params slice).
fn message_of(err: &serde_json::Error) -> String {
    let mut text = err.to_string();
    if err.line() > 0 {
        if let Some(at) = text.rfind(" at line ") {
            text.truncate(at);
        }
    }
    text
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

/// A string borrowed from the request unless it holds escapes (then decoded
/// into an owned copy): the member names of named params, and the `&str`
/// arguments of generated code. (serde's `&str` refuses escaped strings and
/// its `Cow<str>` always copies.)
#[doc(hidden)]
#[derive(Debug)]
pub struct StrArg<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for StrArg<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = StrArg<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<StrArg<'de>, E> {
                Ok(StrArg(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<StrArg<'de>, E> {
                Ok(StrArg(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<StrArg<'de>, E> {
                Ok(StrArg(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Stands in for an argument the caller left out: an `Option` reads it as
/// `None`, every other type refuses it. This is what makes trailing `Option`
/// arguments optional without the decoder knowing which types are options.
struct MissingValue<E>(PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for MissingValue<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(de::Error::custom("missing parameter"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Reads one element, recording which argument failed.
#[doc(hidden)]
pub(crate) struct Slot<'s, 'n, T> {
    state: &'s mut DecodeState<'n>,
    index: usize,
    marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Slot<'_, '_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize(deserializer).inspect_err(|_| self.state.invalid(self.index))
    }
}

macro_rules! param_list {
    ($len:expr; $($index:tt $T:ident)*) => {
        impl<'de, $($T: Deserialize<'de>),*> ParamList<'de> for ($($T,)*) {
            const LEN: usize = $len;

            #[allow(unused_mut, unused_variables, reason = "the empty tuple reads nothing")]
            fn decode_seq<A: SeqAccess<'de>>(mut seq: A, state: &mut DecodeState<'_>) -> Result<Self, A::Error> {
                let value = ($(
                    match seq.next_element_seed(Slot::<$T> { state: &mut *state, index: $index, marker: PhantomData })? {
                        Some(value) => value,
                        None => state.missing::<$T, A::Error>($index)?,
                    },
                )*);
                state.no_more(seq)?;
                Ok(value)
            }

            #[allow(unused_mut, unused_variables, reason = "the empty tuple has no slots")]
            fn decode_map<A: MapAccess<'de>>(mut map: A, state: &mut DecodeState<'_>) -> Result<Self, A::Error> {
                let mut slots: ($(Option<$T>,)*) = ($(None::<$T>,)*);
                while let Some(StrArg(key)) = map.next_key::<StrArg<'de>>()? {
                    match state.index_of(&key) {
                        $(Some($index) => {
                            if slots.$index.is_some() {
                                return Err(state.duplicate($index));
                            }
                            slots.$index = Some(map.next_value_seed(Slot::<$T> { state: &mut *state, index: $index, marker: PhantomData })?);
                        })*
                        _ => state.unknown(&key, &mut map)?,
                    }
                }
                Ok(($(
                    match slots.$index {
                        Some(value) => value,
                        None => state.missing::<$T, A::Error>($index)?,
                    },
                )*))
            }
        }
    };
}

for_each_tuple!(param_list);

#[cfg(test)]
mod tests {
    use super::*;

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
