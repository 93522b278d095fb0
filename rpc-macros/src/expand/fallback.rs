//! What is emitted when the attribute reports an error: the user's item,
//! and stand-ins with the names and signatures the generated code would
//! have had (`into_router`, `router_from_arc`, `METHODS`, the client and its
//! methods), each with a body that never runs. The user's own uses of them
//! then give no second error: one mistake, one error (thiserror's
//! `fallback.rs` does the same for its impls).
//!
//! A stand-in is left out where it would itself clash: glue whose name the
//! item already uses, client methods whose signature cannot be written (see
//! `client::stand_in_possible`), and everything for an item `#[rpc]` does
//! not serve at all (a trait impl, an impl of an unnamed type).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ImplItem, ItemImpl, TraitItem, Type};

use super::{clean, client, strip_trait, Paths};
use crate::parse::model::Service;
use crate::parse::Input;

// Input:
//     #[rpc] impl Counter { fn bump(&mut self) -> u8 { .. } }
// Output:
//     impl Counter { fn bump(&mut self) -> u8 { .. } }
//     impl Counter {
//         pub const METHODS: &'static [MethodInfo] = CounterClient::<()>::METHODS;
//         pub fn into_router(self) -> Router where Self: Send + Sync + 'static { stand_in() }
//         pub fn router_from_arc(_: Arc<Self>) -> Router where Self: Send + Sync + 'static { stand_in() }
//     }
//     pub struct CounterClient<T> { .. }   // methods with `pending()` bodies
pub(crate) fn generate(service: &Service<'_>, paths: &Paths) -> TokenStream {
    match service.input {
        Input::Impl(item) => {
            let cleaned = clean(service.input);
            if item.trait_.is_some() || !matches!(*item.self_ty, Type::Path(_)) {
                return cleaned;
            }
            let glue = impl_glue(item, service, paths);
            let client = client::generate_stand_in(service, paths);
            quote! {
                #cleaned
                #glue
                #client
            }
        }
        Input::Trait(item) => {
            let mut item = strip_trait(item);
            let taken: Vec<String> = item
                .items
                .iter()
                .filter_map(|member| match member {
                    TraitItem::Fn(f) => Some(f.sig.ident.to_string()),
                    _ => None,
                })
                .collect();
            let glue = trait_glue(paths)
                .into_iter()
                .filter(|(name, _)| !taken.iter().any(|taken| taken == name))
                .map(|(_, tokens)| TraitItem::Verbatim(tokens));
            item.items.extend(glue);
            let client = client::generate_stand_in(service, paths);
            quote! {
                #item
                #client
            }
        }
    }
}

/// `METHODS`, `into_router` and `router_from_arc` for an impl block, less
/// those the block already defines.
fn impl_glue(item: &ItemImpl, service: &Service<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let client = &service.client;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let self_ty = &item.self_ty;
    let taken: Vec<String> = item
        .items
        .iter()
        .filter_map(|member| match member {
            ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            ImplItem::Const(c) => Some(c.ident.to_string()),
            _ => None,
        })
        .collect();
    let is_free = |name: &str| !taken.iter().any(|taken| taken == name);
    let methods = is_free("METHODS").then(|| {
        quote! {
            #[allow(unreachable_pub)]
            pub const METHODS: &'static [#krate::MethodInfo] = #client::<()>::METHODS;
        }
    });
    let routers = [
        ("into_router", quote!(self)),
        ("router_from_arc", quote!(_: #krate::__private::Arc<Self>)),
    ]
    .into_iter()
    .filter(|(name, _)| is_free(name))
    .map(|(name, receiver)| {
        let name = syn::Ident::new(name, proc_macro2::Span::call_site());
        quote! {
            #[allow(unreachable_pub)]
            pub fn #name(#receiver) -> #krate::Router
            where
                Self: #krate::__private::Send + #krate::__private::Sync + 'static,
            {
                #krate::__private::stand_in()
            }
        }
    });
    quote! {
        impl #impl_generics #self_ty #where_clause {
            #methods
            #(#routers)*
        }
    }
}

/// `into_router` and `router_from_arc` as provided methods of a trait, by name.
fn trait_glue(paths: &Paths) -> [(&'static str, TokenStream); 2] {
    let krate = &paths.krate;
    let bounds = quote! {
        Self: #krate::__private::Sized + #krate::__private::Send + #krate::__private::Sync + 'static
    };
    [
        (
            "into_router",
            quote! {
                /// Builds a router that serves every RPC method of this value.
                fn into_router(self) -> #krate::Router where #bounds {
                    #krate::__private::stand_in()
                }
            },
        ),
        (
            "router_from_arc",
            quote! {
                /// Builds a router that serves every RPC method of a shared value.
                fn router_from_arc(_: #krate::__private::Arc<Self>) -> #krate::Router where #bounds {
                    #krate::__private::stand_in()
                }
            },
        ),
    ]
}
