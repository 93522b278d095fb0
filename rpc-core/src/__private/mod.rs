//! Used by code the `#[rpc]` attribute generates. Not public API: anything
//! here may change in any release, in step with `rpc-macros`.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | re-exports of std and serde, the router and client helpers, the stand-ins of a failed expansion |
//! | `checks.rs` | what the attribute asks of the user's types, each a trait whose failure is one error at the type |

mod checks;

pub use serde;
pub use serde_json;
pub use std::boxed::Box;
pub use std::clone::Clone;
pub use std::fmt;
pub use std::future::Future;
pub use std::marker::{PhantomData, Send, Sized, Sync};
pub use std::option::Option::{self, None, Some};
pub use std::result::Result::{self, Err, Ok};
pub use std::string::String;
pub use std::sync::Arc;
pub use std::vec::Vec;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::handler::Method;
use crate::router::Router;

/// Starts a subscription a method returned; its id is the method's answer.
pub fn start_subscription<T: serde::Serialize + Send + 'static>(
    ctx: &crate::Context,
    notification: &'static str,
    subscription: crate::Subscription<T>,
) -> Result<u64, crate::Error> {
    crate::subscription::start(ctx, notification, subscription)
}

/// Runs a blocking method on the blocking pool.
pub use crate::handler::run_blocking;

/// Adds a method whose name the macro already checked (non-empty, unique,
/// not reserved), so no error can arise here. Every method the macro
/// generates decodes its params before anything else it does.
pub fn insert(router: &mut Router, name: &'static str, mut method: Method) {
    method.decodes_params = true;
    router.methods.insert(name.into(), method);
}

/// Records the listing of the methods just added, for introspection.
pub fn describe(router: &mut Router, methods: &'static [crate::MethodInfo]) {
    router.describe_listing(methods);
}

/// The [`TypeSchema`](crate::TypeSchema) of a type, for the listing.
pub use crate::__type_schema as type_schema;
#[cfg(feature = "schemars")]
pub use crate::type_schema::probe::{SchemaProbe, ViaJsonSchema, ViaWrittenName};

pub use checks::{
    Args, ClientParam, ClientResult, ContextNamedParam, DecodeArgs, DecodeArgsUnchecked, ErrorFrom,
    IsContext, MarkedContext, NamedContext, Param, RefParam, ResultValue,
};

/// The body of every item emitted in place of the generated code when the
/// attribute reports an error, so that the user's uses of `into_router`,
/// `METHODS` or the client give no second error. Never runs: the crate
/// does not build.
#[cold]
pub fn stand_in<T>() -> T {
    unreachable!("#[rpc] reported an error; this stands in for the code it did not generate")
}

/// The future of a stand-in client method; see [`stand_in`].
pub use std::future::pending;

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

for_each_tuple!(named);
