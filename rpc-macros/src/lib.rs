//! The `#[rpc]` attribute of `rpc-core`. Use it through `rpc_core::rpc`;
//! its documentation lives there.

mod check;
mod ctxt;
mod expand;
mod parse;
mod symbol;

use proc_macro::TokenStream;

/// Turns the methods of an impl block or a trait into a JSON-RPC service,
/// a typed client and a compile-time listing. See `rpc_core::rpc`.
#[proc_macro_attribute]
pub fn rpc(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::expand(args.into(), input.into()).into()
}
