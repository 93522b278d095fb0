//! What the decoder records as it goes, and the `-32602` error it builds
//! from that record once something has failed.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::names::Names;
use crate::error::Error;

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

impl<'n> DecodeState<'n> {
    /// The state for decoding `len` arguments named by `names`.
    pub(super) fn new(names: Names<'n>, len: usize, allow_unknown: bool) -> Self {
        Self {
            names,
            len,
            allow_unknown,
            failure: None,
        }
    }

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
            name: crate::error::clip(key).into_owned(),
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
    pub(super) fn into_error(self, err: &serde_json::Error) -> Error {
        let reason = message_of(err);
        let answer = |detail: &str, data: ParamErrorData<'_>| {
            Error::invalid_params(format!("Invalid params: {detail}")).with_data(&data)
        };
        match &self.failure {
            Some(Failure::Invalid { index }) => {
                let name = self.name(*index);
                let detail = format!("parameter `{name}` (position {index}): {reason}");
                answer(&detail, self.about(*index, &name, &reason))
            }
            Some(Failure::Missing { index }) => {
                let name = self.name(*index);
                let detail = format!("missing parameter `{name}` (position {index})");
                answer(&detail, self.about(*index, &name, "missing"))
            }
            Some(Failure::Duplicate { index }) => {
                let name = self.name(*index);
                let detail = format!("parameter `{name}` given twice");
                let data = ParamErrorData {
                    expected: None,
                    ..self.about(*index, &name, "given twice")
                };
                answer(&detail, data)
            }
            Some(Failure::TooMany { got }) => {
                let most = self.len;
                let noun = if most == 1 { "parameter" } else { "parameters" };
                let detail = format!("expected at most {most} {noun}, got {got}");
                answer(&detail, ParamErrorData::reason(&detail))
            }
            Some(Failure::Unknown { name }) => {
                let detail = self.unknown_detail(name);
                let data = ParamErrorData {
                    param: Some(name),
                    ..ParamErrorData::reason(&detail)
                };
                answer(&detail, data)
            }
            None => answer(&reason, ParamErrorData::reason(&reason)),
        }
    }

    /// The `data` of an error about the argument at `index`.
    fn about<'a>(&'a self, index: usize, name: &'a str, reason: &'a str) -> ParamErrorData<'a> {
        ParamErrorData {
            param: Some(name),
            position: Some(index),
            expected: self.type_name(index),
            reason,
        }
    }

    /// Why the named member `name` is refused, with the names that are known.
    fn unknown_detail(&self, name: &str) -> String {
        if self.len == 0 {
            return format!("unknown parameter `{name}`; this method takes none");
        }
        let expected: Vec<String> = (0..self.len)
            .map(|index| format!("`{}`", self.name(index)))
            .collect();
        format!(
            "unknown parameter `{name}`; expected one of: {}",
            expected.join(", ")
        )
    }
}

/// The `data` member of a `-32602` error.
#[derive(Default)]
pub(super) struct ParamErrorData<'a> {
    pub(super) param: Option<&'a str>,
    pub(super) position: Option<usize>,
    pub(super) expected: Option<&'a str>,
    pub(super) reason: &'a str,
}

impl<'a> ParamErrorData<'a> {
    /// Data with only a reason.
    pub(super) fn reason(reason: &'a str) -> Self {
        ParamErrorData {
            reason,
            ..ParamErrorData::default()
        }
    }
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
pub(super) fn message_of(err: &serde_json::Error) -> String {
    let mut text = err.to_string();
    if err.line() > 0 {
        if let Some(at) = text.rfind(" at line ") {
            text.truncate(at);
        }
    }
    text
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
