//! The `#[rpc]` attribute of `rpc-core`. Use it through `rpc_core::rpc`;
//! its documentation lives there.

mod check;
mod constants;
mod ctxt;
mod expand;
mod parse;
mod symbol;
mod types;

use proc_macro::TokenStream;

/// Turns the methods of an impl block or a trait into a JSON-RPC service,
/// a typed client and a compile-time listing. See `rpc_core::rpc`.
#[proc_macro_attribute]
pub fn rpc(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::expand(args.into(), input.into()).into()
}

/// `(namespace separator, reserved prefix, most parameters)` as the macro
/// applies them, so that a test can hold them equal to rpc-core's. Not
/// public API.
#[doc(hidden)]
#[proc_macro]
pub fn __constants(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    if !input.is_empty() {
        return syn::Error::new_spanned(input, "`__constants!` takes no input")
            .to_compile_error()
            .into();
    }
    constants::tuple().into()
}
