//! Used by code the `#[rpc]` attribute generates. Not public API: anything
//! here may change in any release, in step with `rpc-macros`.

pub use serde;
pub use serde_json;
pub use std::boxed::Box;
pub use std::clone::Clone;
pub use std::convert::Into;
pub use std::fmt;
pub use std::future::Future;
pub use std::marker::{PhantomData, Send, Sized, Sync};
pub use std::option::Option::{self, None, Some};
pub use std::result::Result::{self, Err, Ok};
pub use std::string::String;
pub use std::sync::Arc;
pub use std::vec::Vec;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::error::Error;
use crate::handler::Method;
use crate::router::Router;

/// Runs a blocking method on the blocking pool.
pub use crate::handler::run_blocking;

/// Adds a method whose name the macro already checked (non-empty, unique,
/// not reserved), so no error can arise here.
pub fn insert(router: &mut Router, name: &'static str, method: Method) {
    router.methods.insert(name.into(), method);
}

/// Serializes a method's return value as its result; the function exists so
/// that a missing `Serialize` impl is reported on the user's return type.
pub fn ok<T: Serialize>(value: T) -> Result<T, Error> {
    Ok(value)
}

/// Tells, at compile time, whether a return type is a `Result`: autoref
/// specialisation picks `ResultTag` for `Result<T, E>` however it is spelled
/// (an alias included) and `NotAResult` for everything else.
#[derive(Debug)]
pub struct Kind<T>(pub std::marker::PhantomData<T>);

/// The kind of a return type that is not a `Result`.
#[derive(Debug)]
pub struct NotAResult;

/// The kind of a `Result` return type written under another name (a type
/// alias): spell it `Result<T, E>` (or an alias whose name ends in `Result`)
/// in the signature, so that its `Err` is answered as a JSON-RPC error.
#[derive(Debug)]
pub struct ResultBehindAnAlias;

/// Picks [`ResultBehindAnAlias`] for `Result` types.
pub trait ResultKind {
    /// The tag.
    fn kind(&self) -> ResultBehindAnAlias {
        ResultBehindAnAlias
    }
}

impl<T, E> ResultKind for &Kind<Result<T, E>> {}

/// Picks [`NotAResult`] for every other type.
pub trait PlainKind {
    /// The tag.
    fn kind(&self) -> NotAResult {
        NotAResult
    }
}

impl<T> PlainKind for Kind<T> {}

/// A `&str` argument as decoded: borrowed from the request when the JSON
/// string has no escapes, owned when it has.
pub use crate::params::StrArg;

/// Named params for the client: a tuple of `(name, value)` pairs written as an object.
#[derive(Debug)]
pub struct Named<T>(pub T);

macro_rules! named {
    ($len:expr; $($index:tt $T:ident)*) => {
        impl<$($T: Serialize),*> Serialize for Named<($((&'static str, $T),)*)> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #[allow(unused_mut, reason = "no entries for a method without params")]
                let mut map = serializer.serialize_map(Some($len))?;
                $( map.serialize_entry((self.0).$index.0, &(self.0).$index.1)?; )*
                map.end()
            }
        }
    };
}

named!(0;);
named!(1; 0 T0);
named!(2; 0 T0 1 T1);
named!(3; 0 T0 1 T1 2 T2);
named!(4; 0 T0 1 T1 2 T2 3 T3);
named!(5; 0 T0 1 T1 2 T2 3 T3 4 T4);
named!(6; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5);
named!(7; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6);
named!(8; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7);
named!(9; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8);
named!(10; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9);
named!(11; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10);
named!(12; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11);
named!(13; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12);
named!(14; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12 13 T13);
named!(15; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12 13 T13 14 T14);
named!(16; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12 13 T13 14 T14 15 T15);
