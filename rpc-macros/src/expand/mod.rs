//! Turns a checked model into code: the user's item (cleaned), the router
//! glue, the typed client and the listing.

mod client;
mod fallback;
mod handler;
mod listing;
mod server;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{parse_quote, FnArg, Ident, ImplItem, ItemTrait, Path, ReturnType, TraitItem};

use crate::check;
use crate::ctxt::Ctxt;
use crate::parse::attr::is_rpc;
use crate::parse::model::Service;
use crate::parse::Input;

/// Paths generated code uses; everything goes through the runtime crate.
pub(crate) struct Paths {
    /// `::rpc_core`, or the `crate = "..."` override.
    pub(crate) krate: Path,
}

impl Paths {
    fn new(service: &Service<'_>) -> Self {
        Paths {
            krate: service
                .attrs
                .crate_path
                .clone()
                .unwrap_or_else(|| parse_quote!(::rpc_core)),
        }
    }
}

/// The tokens with every span set to `span`, so that rustc reports errors
/// about them there (interpolated tokens keep their own spans otherwise).
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The tokens spanned so that rustc reports errors about them over the
/// whole of `obj`: the first token takes the span of `obj`'s first token,
/// the others that of its last (what `syn::Error::new_spanned` does; a
/// span cannot be joined on stable).
pub(crate) fn respan_over(tokens: TokenStream, obj: &impl ToTokens) -> TokenStream {
    let mut obj_tokens = obj.to_token_stream().into_iter();
    let Some(first) = obj_tokens.next() else {
        return tokens;
    };
    let (start, end) = (
        first.span(),
        obj_tokens.last().map_or(first.span(), |last| last.span()),
    );
    let mut tokens = tokens.into_iter();
    let head = tokens.next().map(|token| respan(token.into(), start));
    head.into_iter()
        .chain(tokens.map(|token| respan(token.into(), end)))
        .collect()
}

/// A hygienic local name that cannot collide with the user's (async-trait's `positional_arg` idea).
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: Input = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(err) => {
            // Keep the user's item so one mistake gives one error.
            let err = err.to_compile_error();
            return quote!(#err #input);
        }
    };
    let cx = Ctxt::new();
    let service = Service::from_input(&cx, args, &item);
    check::check(&cx, &service);
    let paths = Paths::new(&service);
    match cx.check() {
        Ok(()) => generate(&service, &paths),
        Err(err) => {
            // The item and stand-ins for what would have been generated, so
            // that one mistake gives one error.
            let stand_ins = fallback::generate(&service, &paths);
            let err = err.to_compile_error();
            quote!(#stand_ins #err)
        }
    }
}

fn generate(service: &Service<'_>, paths: &Paths) -> TokenStream {
    let client = client::generate(service, paths);
    match service.input {
        Input::Impl(item) => {
            let cleaned = clean(service.input);
            let glue = server::generate_for_impl(service, item, paths);
            quote! {
                #cleaned
                #glue
                #client
            }
        }
        Input::Trait(item) => {
            let mut item = strip_trait(item);
            let served: Vec<&Ident> = service
                .methods
                .iter()
                .map(|method| method.name.rust())
                .collect();
            make_futures_send(&mut item, &served, paths);
            let glue = server::generate_for_trait(service, paths);
            item.items.extend(glue.into_iter().map(TraitItem::Verbatim));
            quote! {
                #item
                #client
            }
        }
    }
}

/// The item with every `#[rpc(...)]` on methods and parameters removed.
fn clean(input: &Input) -> TokenStream {
    match input {
        Input::Trait(item) => strip_trait(item).into_token_stream(),
        Input::Impl(item) => {
            let mut item = item.clone();
            for member in &mut item.items {
                if let ImplItem::Fn(f) = member {
                    f.attrs.retain(|attr| !is_rpc(attr));
                    strip_args(f.sig.inputs.iter_mut());
                }
            }
            item.into_token_stream()
        }
    }
}

fn strip_trait(item: &ItemTrait) -> ItemTrait {
    let mut item = item.clone();
    for member in &mut item.items {
        if let TraitItem::Fn(f) = member {
            f.attrs.retain(|attr| !is_rpc(attr));
            strip_args(f.sig.inputs.iter_mut());
        }
    }
    item
}

fn strip_args<'a>(args: impl Iterator<Item = &'a mut FnArg>) {
    for arg in args {
        if let FnArg::Typed(typed) = arg {
            typed.attrs.retain(|attr| !is_rpc(attr));
        }
    }
}

// Input:
//     async fn add(&self, a: i64) -> i64;
// Output:
//     fn add(&self, a: i64) -> impl Future<Output = i64> + Send;
//
// The router needs `Send` futures, and an `async fn` in a trait promises none.
// Implementations may still write `async fn`; the compiler checks they are `Send`.
fn make_futures_send(item: &mut ItemTrait, served: &[&Ident], paths: &Paths) {
    for member in &mut item.items {
        let TraitItem::Fn(f) = member else { continue };
        // Skipped methods and associated functions keep their own (possibly `!Send`) futures.
        if !served.contains(&&f.sig.ident) {
            continue;
        }
        let Some(asyncness) = f.sig.asyncness.take() else {
            continue;
        };
        let output = match &f.sig.output {
            ReturnType::Default => quote!(()),
            ReturnType::Type(_, ty) => ty.to_token_stream(),
        };
        let span = asyncness.span();
        f.sig.output = send_future_output(span, &output, paths);
        if let Some(block) = &f.default {
            let body: TokenStream = quote_spanned!(span=> { async move #block });
            f.default = Some(syn::parse2(body).expect("an async block parses"));
            f.attrs
                .push(parse_quote!(#[allow(clippy::manual_async_fn)]));
        }
    }
}

fn send_future_output(span: Span, output: &TokenStream, paths: &Paths) -> ReturnType {
    let krate = &paths.krate;
    let tokens = quote_spanned! {span=>
        -> impl #krate::__private::Future<Output = #output> + #krate::__private::Send
    };
    syn::parse2(tokens).expect("a return type parses")
}
