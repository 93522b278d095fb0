//! The router glue: `into_router` and `router_from_arc`, which add one
//! `Method` per RPC method (built by `handler`) under its name and aliases.
//! The user's types are checked inside the handlers (see `handler`), so the
//! glue's where clauses ask only what the service value needs.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemImpl;

use super::handler::method_expr;
use super::{local, Paths};
use crate::parse::model::{Ret, Service};
use crate::parse::name::ServedName;
use crate::types::erase_lifetimes;

// Input:
//     #[rpc] impl Calculator { fn add(&self, a: i64, b: i64) -> i64 { a + b } }
// Output:
//     impl Calculator {
//         pub const METHODS: &'static [MethodInfo] = CalculatorClient::<()>::METHODS;
//         pub fn into_router(self) -> Router where Self: Send + Sync + 'static { .. }
//         pub fn router_from_arc(this: Arc<Self>) -> Router where Self: Send + Sync + 'static {
//             let mut router = Router::new();
//             { let method = Method::sync_with_state(Arc::clone(&this), |svc, params, ctx, sink| {
//                   let (a, b): (i64, i64) = params.decode_with(CalculatorClient::<()>::METHODS[0].params, false)?;
//                   sink.write(&Self::add(svc, a, b))
//               });
//               insert(&mut router, "add", method); }
//             describe(&mut router, CalculatorClient::<()>::METHODS);
//             router
//         }
//     }
pub(crate) fn generate_for_impl(
    service: &Service<'_>,
    item: &ItemImpl,
    paths: &Paths,
) -> TokenStream {
    let krate = &paths.krate;
    let client = &service.client;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let self_ty = &item.self_ty;
    let this = local("this");
    let body = router_body(service, paths);
    quote! {
        impl #impl_generics #self_ty #where_clause {
            /// The RPC methods this type serves: names, aliases, parameters, types and docs.
            #[allow(unreachable_pub)]
            pub const METHODS: &'static [#krate::MethodInfo] = #client::<()>::METHODS;

            /// Builds a router that serves every RPC method of this value.
            #[allow(unreachable_pub)]
            pub fn into_router(self) -> #krate::Router
            where
                Self: #krate::__private::Send + #krate::__private::Sync + 'static,
            {
                Self::router_from_arc(#krate::__private::Arc::new(self))
            }

            /// Builds a router that serves every RPC method of a shared value.
            #[allow(unreachable_pub)]
            pub fn router_from_arc(#this: #krate::__private::Arc<Self>) -> #krate::Router
            where
                Self: #krate::__private::Send + #krate::__private::Sync + 'static,
            {
                #body
            }
        }
    }
}

/// The same glue as provided methods of an `#[rpc]` trait, so it works for every implementor.
pub(crate) fn generate_for_trait(service: &Service<'_>, paths: &Paths) -> Vec<TokenStream> {
    let krate = &paths.krate;
    let this = local("this");
    let body = router_body(service, paths);
    vec![
        quote! {
            /// Builds a router that serves every RPC method of this value.
            fn into_router(self) -> #krate::Router
            where
                Self: #krate::__private::Sized + #krate::__private::Send + #krate::__private::Sync + 'static,
            {
                Self::router_from_arc(#krate::__private::Arc::new(self))
            }
        },
        quote! {
            /// Builds a router that serves every RPC method of a shared value.
            fn router_from_arc(#this: #krate::__private::Arc<Self>) -> #krate::Router
            where
                Self: #krate::__private::Sized + #krate::__private::Send + #krate::__private::Sync + 'static,
            {
                #body
            }
        },
    ]
}

fn router_body(service: &Service<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let router = local("router");
    // A `Result` under an alias the name check cannot see would be sent as
    // `{"Ok": ..}`; autoref specialisation turns that into a type error here.
    let plain_checks = service
        .methods
        .iter()
        .filter_map(|method| match &method.ret {
            Ret::Plain(ty) => {
                let erased = erase_lifetimes(&method.sig.generics, ty);
                Some(quote_spanned! {ty.span()=>
                    let _: #krate::__private::NotAResult = {
                        #[allow(unused_imports)]
                        use #krate::__private::{PlainKind as _, ResultKind as _};
                        (&&#krate::__private::Kind::<#erased>(#krate::__private::PhantomData)).kind()
                    };
                })
            }
            _ => None,
        });
    let method_var = local("method");
    let service_guards = &service.attrs.guards;
    let inserts = service.methods.iter().enumerate().map(|(index, method)| {
        let mut expr = method_expr(service, method, index, paths);
        let guarded = method.is_guarded(service_guards);
        if !method.has_context() && !guarded && method.subscription.is_none() {
            // Transports then need not build a context for its messages.
            expr = quote!(#krate::Method::ignores_context(#expr));
        }
        // The outermost guard runs first: the service's, then the method's, in order.
        for guard in method.attrs.guards.iter().rev().chain(service_guards.iter().rev()) {
            expr = quote_spanned!(guard.span()=> #krate::Method::guarded(#expr, #guard));
        }
        let name = method.name.served().full();
        let aliases = method.name.aliases().iter().map(ServedName::full);
        let unsubscribe = method
            .subscription
            .as_ref()
            .and_then(|subscription| subscription.unsubscribe.as_ref())
            .map(|unsubscribe| {
                let name = unsubscribe.full();
                quote!(#krate::__private::insert(&mut #router, #name, #krate::Method::unsubscription());)
            });
        quote! {
            {
                let #method_var = #expr;
                #( #krate::__private::insert(&mut #router, #aliases, #krate::Method::clone(&#method_var)); )*
                #krate::__private::insert(&mut #router, #name, #method_var);
                #unsubscribe
            }
        }
    });
    let client = &service.client;
    quote! {
        #( #plain_checks )*
        let mut #router = #krate::Router::new();
        #( #inserts )*
        #krate::__private::describe(&mut #router, #client::<()>::METHODS);
        #router
    }
}
