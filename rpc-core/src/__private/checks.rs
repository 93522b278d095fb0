//! What `#[rpc]` asks of the user's types, as traits whose failure is one
//! error at the user's type, saying what to do.
//!
//! Generated code names each parameter, result and error type once, as the
//! `Self` (or the parameter) of one of these traits, written with the
//! user's tokens: `<Query as Param<'_>>::check()`,
//! `<Answer as ResultValue>::write(&value, sink)`,
//! `<Error as ErrorFrom<MyError>>::from_error(error)`. A type that does not
//! qualify fails there, with the message of `#[diagnostic::on_unimplemented]`
//! and the span of the user's type. Each call's type is known whether or
//! not the bound holds, so nothing after it fails again: one mistake, one
//! error. The impls are `#[diagnostic::do_not_recommend]`, so rustc reports
//! the trait the user can act on rather than what it is made of.
//!
//! The decoding of a method's argument tuple depends on every argument at
//! once; it goes through [`Args`], which picks the real decoder when the
//! tuple decodes and an unreachable stand-in otherwise (autoref
//! specialisation), so that only the per-argument checks report.
//!
//! Everything here is resolved at compile time; the methods are identities
//! or direct calls of what generated code would call anyway.

use std::marker::PhantomData;

use serde::de::{Deserialize, DeserializeOwned};
use serde::Serialize;

use crate::context::Context;
use crate::error::Error;
use crate::handler::ResultSink;
use crate::params::{ParamList, ParamNames, Params};

/// Defines a trait that a parameter type must implement to be decoded, with
/// its own diagnostic: `check` for arguments decoded with the others, and
/// `parse` for a `flatten` parameter, decoded alone.
macro_rules! param_trait {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        pub trait $name<'de>: Sized {
            /// Does nothing; calling it names the bound where the user wrote the type.
            #[inline(always)]
            fn check() {}

            /// Decodes the whole `params` member as this type.
            fn parse(params: Params<'de>) -> Result<Self, Error>;
        }

        #[diagnostic::do_not_recommend]
        impl<'de, T: Deserialize<'de>> $name<'de> for T {
            #[inline(always)]
            fn parse(params: Params<'de>) -> Result<Self, Error> {
                params.parse()
            }
        }
    };
}

param_trait! {
    /// An RPC parameter: decoded from the request's JSON.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be an RPC parameter: it does not implement `serde::Deserialize`",
        label = "not `Deserialize`",
        note = "the server decodes each parameter from the request's JSON: derive or implement `serde::Deserialize` for it"
    )]
    Param
}

param_trait! {
    /// An RPC parameter written as a reference (other than `&str`, which
    /// generated code decodes on its own): few of those can borrow from the
    /// request, and the request context may be what was meant.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be decoded as an RPC parameter",
        label = "cannot be decoded from the request",
        note = "parameters are decoded from the request's JSON, which lends only a few borrowed types such as `&str`: take an owned type instead, such as `Vec<T>` for `&[T]` or `T` for `&T`",
        note = "to receive the request context, take `&rpc_core::Context`, or mark the parameter `#[rpc(context)]`"
    )]
    RefParam
}

param_trait! {
    /// An RPC parameter taken by value whose type is named `Context`: it is
    /// decoded like any other, but the request context may be what was meant.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be an RPC parameter: it does not implement `serde::Deserialize`",
        label = "not `Deserialize`",
        note = "a parameter taken by value is decoded from the request's JSON, whatever its type is named",
        note = "to receive the request context, take `&rpc_core::Context`, or mark the parameter `#[rpc(context)]`"
    )]
    ContextNamedParam
}

/// A method's result: encoded as JSON into the response.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an RPC result: it does not implement `serde::Serialize`",
    label = "not `Serialize`",
    note = "the server encodes the result as JSON: derive or implement `serde::Serialize` for it"
)]
pub trait ResultValue {
    /// Writes `self` as the result.
    fn write(&self, sink: ResultSink<'_>) -> Result<(), Error>;
}

#[diagnostic::do_not_recommend]
impl<T: Serialize + ?Sized> ResultValue for T {
    #[inline(always)]
    fn write(&self, sink: ResultSink<'_>) -> Result<(), Error> {
        sink.write(self)
    }
}

/// The error of a method returning `Result<T, E>`: answered as the
/// [`Error`] it converts into. Implemented by [`Error`] (the type the
/// message is about is `E`, so that rustc reports this trait and not `From`).
#[diagnostic::on_unimplemented(
    message = "`{E}` cannot be an RPC error: `rpc_core::Error` does not implement `From<{E}>`",
    label = "not convertible into `rpc_core::Error`",
    note = "for an error type of your own, implement `From<{E}> for rpc_core::Error`, choosing the code, message and data the caller receives",
    note = "otherwise convert it in the method, for example with `.map_err(|err| rpc_core::Error::new(code, err.to_string()))`"
)]
pub trait ErrorFrom<E> {
    /// Converts the method's error.
    fn from_error(error: E) -> Error;
}

#[diagnostic::do_not_recommend]
impl<E: Into<Error>> ErrorFrom<E> for Error {
    #[inline(always)]
    fn from_error(error: E) -> Error {
        error.into()
    }
}

/// Implemented by `Context` alone; lets the context checks below be
/// blanket impls, which `do_not_recommend` keeps out of their messages.
pub trait IsContext {
    /// `ctx`, as `Self`.
    fn cast(ctx: &Context) -> &Self;
}

impl IsContext for Context {
    #[inline(always)]
    fn cast(ctx: &Context) -> &Self {
        ctx
    }
}

/// A parameter taken as the request context because its type is named
/// `Context`: it must be `&rpc_core::Context`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the request context, `&rpc_core::Context`",
    label = "taken as the request context because its type is named `Context`",
    note = "to receive the request context, take `&rpc_core::Context`; to decode a type of your own named `Context` as an RPC parameter, take it by value"
)]
pub trait NamedContext<'a> {
    /// The context, as the parameter's type.
    fn context(ctx: &'a Context) -> Self;
}

#[diagnostic::do_not_recommend]
impl<'a, C: IsContext + ?Sized> NamedContext<'a> for &'a C {
    #[inline(always)]
    fn context(ctx: &'a Context) -> Self {
        C::cast(ctx)
    }
}

/// A parameter marked `#[rpc(context)]`: it must be `&rpc_core::Context`.
#[diagnostic::on_unimplemented(
    message = "a parameter marked `#[rpc(context)]` receives the request context, `&rpc_core::Context`, not `{Self}`",
    label = "not `&rpc_core::Context`"
)]
pub trait MarkedContext<'a> {
    /// The context, as the parameter's type.
    fn context(ctx: &'a Context) -> Self;
}

#[diagnostic::do_not_recommend]
impl<'a, C: IsContext + ?Sized> MarkedContext<'a> for &'a C {
    #[inline(always)]
    fn context(ctx: &'a Context) -> Self {
        C::cast(ctx)
    }
}

/// The argument tuple of a method, to decode.
/// `(&Args::<T>(PhantomData)).decode_with(..)` calls [`Params::decode_with`]
/// when `T` decodes ([`DecodeArgs`]), and [`DecodeArgsUnchecked`] otherwise,
/// which never runs: an argument that does not decode has failed its own
/// check, so the crate does not build.
#[derive(Debug)]
pub struct Args<T>(pub PhantomData<fn() -> T>);

/// Decodes an argument tuple; picked when it decodes.
pub trait DecodeArgs<'de, T> {
    /// See [`Params::decode_with`].
    fn decode_with(
        &self,
        params: Params<'de>,
        names: &(impl ParamNames + ?Sized),
        allow_unknown: bool,
    ) -> Result<T, Error>;
}

impl<'de, T: ParamList<'de>> DecodeArgs<'de, T> for Args<T> {
    #[inline(always)]
    fn decode_with(
        &self,
        params: Params<'de>,
        names: &(impl ParamNames + ?Sized),
        allow_unknown: bool,
    ) -> Result<T, Error> {
        params.decode_with(names, allow_unknown)
    }
}

/// Stands in for [`DecodeArgs`] when an argument does not decode, so that
/// only that argument's check reports.
pub trait DecodeArgsUnchecked<'de, T> {
    /// Never runs: the crate does not build.
    fn decode_with(
        &self,
        params: Params<'de>,
        names: &(impl ParamNames + ?Sized),
        allow_unknown: bool,
    ) -> Result<T, Error>;
}

impl<'de, T> DecodeArgsUnchecked<'de, T> for &Args<T> {
    #[cold]
    fn decode_with(
        &self,
        _: Params<'de>,
        _: &(impl ParamNames + ?Sized),
        _: bool,
    ) -> Result<T, Error> {
        unreachable!("an argument type that does not decode fails to compile")
    }
}

/// What the typed client sends: a parameter type. Named in a client
/// method's where clause as `for<'x> Query: ClientParam<'x>`, a bound rustc
/// checks where the method is called, not where it is defined, so a
/// service whose client is never used needs no `Serialize` parameters.
#[diagnostic::on_unimplemented(
    message = "the client sends `{Self}` as a parameter, so it must implement `serde::Serialize`",
    label = "not `Serialize`",
    note = "only the typed client needs it: the server decodes parameters with `serde::Deserialize`"
)]
pub trait ClientParam<'x>: Serialize {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + ?Sized> ClientParam<'_> for T {}

/// What the typed client reads back: a result type; see [`ClientParam`].
#[diagnostic::on_unimplemented(
    message = "the client reads `{Self}` as a result, so it must implement `serde::Deserialize`",
    label = "not `Deserialize`",
    note = "only the typed client needs it: the server encodes results with `serde::Serialize`"
)]
pub trait ClientResult<'x>: DeserializeOwned {}

#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> ClientResult<'_> for T {}
