//! Argument tuples: [`ParamList`] for tuples of up to 16 types, read from
//! an array by position or from an object by name.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::state::DecodeState;

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
