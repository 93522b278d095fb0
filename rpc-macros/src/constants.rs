//! The values the macro shares with rpc-core's runtime, in one place.
//!
//! rpc-core defines them too (`NAMESPACE_SEPARATOR`, `RESERVED_PREFIX`, and
//! the tuples `ParamList` is implemented for); a proc-macro crate cannot
//! depend on its runtime crate, so the hidden `__constants!` macro hands
//! these to `tests/tests/macro_constants.rs`, which fails when one side
//! changes without the other.

use proc_macro2::TokenStream;
use quote::quote;

/// What separates a namespace from a method name: `math` + `add` is `math.add`.
pub(crate) const NAMESPACE_SEPARATOR: char = '.';

/// The prefix JSON-RPC reserves for system methods; no name or alias may start with it.
pub(crate) const RESERVED_PREFIX: &str = "rpc.";

/// The most parameters a method may decode: the arity of the largest tuple
/// rpc-core's `ParamList` is implemented for.
pub(crate) const MAX_PARAMS: usize = 16;

/// `('.', "rpc.", 16usize)`: the three values as a tuple expression.
pub(crate) fn tuple() -> TokenStream {
    quote!((#NAMESPACE_SEPARATOR, #RESERVED_PREFIX, #MAX_PARAMS))
}
