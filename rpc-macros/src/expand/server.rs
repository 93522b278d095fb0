//! The router glue: one `Method` per RPC method, decoding params straight
//! into the argument types through rpc-core's one-pass decoder.

use proc_macro2::{Group, Ident, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::ItemImpl;

use super::{local, respan, Paths};
use crate::parse::model::{is_str_ref, Arg, Method, Ret, Service};

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
    let checks = type_checks(service, paths);
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
                #(#checks,)*
            {
                Self::router_from_arc(#krate::__private::Arc::new(self))
            }

            /// Builds a router that serves every RPC method of a shared value.
            #[allow(unreachable_pub)]
            pub fn router_from_arc(#this: #krate::__private::Arc<Self>) -> #krate::Router
            where
                Self: #krate::__private::Send + #krate::__private::Sync + 'static,
                #(#checks,)*
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
    let checks = type_checks(service, paths);
    let checks = quote!(#(#checks,)*);
    vec![
        quote! {
            /// Builds a router that serves every RPC method of this value.
            fn into_router(self) -> #krate::Router
            where
                Self: #krate::__private::Sized + #krate::__private::Send + #krate::__private::Sync + 'static,
                #checks
            {
                Self::router_from_arc(#krate::__private::Arc::new(self))
            }
        },
        quote! {
            /// Builds a router that serves every RPC method of a shared value.
            fn router_from_arc(#this: #krate::__private::Arc<Self>) -> #krate::Router
            where
                Self: #krate::__private::Sized + #krate::__private::Send + #krate::__private::Sync + 'static,
                #checks
            {
                #body
            }
        },
    ]
}

/// Bounds that put a missing `Deserialize` (params) or `Serialize` (results)
/// on the user's type instead of inside the generated body: a where clause
/// on a concrete type is checked where it is written, and the body may then
/// rely on it (axum-macros' `debug_handler` uses the same trick).
///
/// Types that borrow (`&str`, `Cow<'a, str>`) cannot be named without their
/// lifetimes here; the decoder's own bounds still check them.
fn type_checks(service: &Service<'_>, paths: &Paths) -> Vec<TokenStream> {
    let krate = &paths.krate;
    let mut checks = Vec::new();
    for method in &service.methods {
        for param in method.params().filter(|param| nameable(param.ty)) {
            let ty = param.ty;
            let bound = respan(
                quote!(#krate::__private::serde::de::DeserializeOwned),
                ty.span(),
            );
            checks.push(quote!(#ty: #bound));
        }
        if let Ret::Plain(ty) | Ret::Result { ok: ty, .. } = &method.ret {
            if nameable(ty) {
                let bound = respan(quote!(#krate::__private::serde::Serialize), ty.span());
                checks.push(quote!(#ty: #bound));
            }
        }
    }
    checks
}

/// Whether a type can stand in a where clause as written: no references,
/// lifetimes or `Self`.
pub(crate) fn nameable(ty: &impl quote::ToTokens) -> bool {
    let text = ty.to_token_stream().to_string();
    !text.contains('&')
        && !text.contains('\'')
        && !text
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word == "Self")
}

/// A type of `method` as generated code can name it: the method's own
/// lifetime parameters, not in scope there, replaced by `'_` (inferred).
/// Other lifetimes (`'static`, a `for<'x>` binder's) stay.
fn erase_lifetimes(method: &Method<'_>, ty: &syn::Type) -> TokenStream {
    let own: Vec<&Ident> = method
        .sig
        .generics
        .lifetimes()
        .map(|param| &param.lifetime.ident)
        .collect();
    if own.is_empty() {
        return ty.to_token_stream();
    }
    erase_in(ty.to_token_stream(), &own)
}

fn erase_in(tokens: TokenStream, own: &[&Ident]) -> TokenStream {
    let mut out = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(quote) if quote.as_char() == '\'' => {
                let named = match tokens.peek() {
                    Some(TokenTree::Ident(name)) if own.contains(&name) => Some(name.span()),
                    _ => None,
                };
                out.push(TokenTree::Punct(quote));
                if let Some(span) = named {
                    tokens.next();
                    out.push(TokenTree::Ident(Ident::new("_", span)));
                }
            }
            TokenTree::Group(group) => {
                let mut erased = Group::new(group.delimiter(), erase_in(group.stream(), own));
                erased.set_span(group.span());
                out.push(TokenTree::Group(erased));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
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
                let erased = erase_lifetimes(method, ty);
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
    let inserts = service.methods.iter().enumerate().map(|(index, method)| {
        let mut expr = method_expr(service, method, index, paths);
        if !method.has_context() {
            // Transports then need not build a context for its messages.
            expr = quote!(#krate::Method::ignores_context(#expr));
        }
        let name = &method.name;
        let aliases = method.aliases.iter().map(|(alias, _)| alias);
        quote! {
            {
                let #method_var = #expr;
                #( #krate::__private::insert(&mut #router, #aliases, #krate::Method::clone(&#method_var)); )*
                #krate::__private::insert(&mut #router, #name, #method_var);
            }
        }
    });
    quote! {
        #( #plain_checks )*
        let mut #router = #krate::Router::new();
        #( #inserts )*
        #router
    }
}

/// The `Method` value for one RPC method: sync, async or blocking.
fn method_expr(
    service: &Service<'_>,
    method: &Method<'_>,
    index: usize,
    paths: &Paths,
) -> TokenStream {
    let krate = &paths.krate;
    let client = &service.client;
    let allow_unknown = service.attrs.allow_unknown_params;
    let (this, svc, params, ctx, sink, args) = (
        local("this"),
        local("svc"),
        local("params"),
        local("__ctx"),
        local("sink"),
        local("args"),
    );
    let value = local("value");

    let bindings = method.params().map(|param| &param.ident);
    let decode_types: Vec<TokenStream> = method
        .params()
        .map(|param| {
            let ty = param.ty;
            let decoded = if is_str_ref(ty) {
                quote_spanned!(ty.span()=> #krate::__private::StrArg<'_>)
            } else {
                erase_lifetimes(method, ty)
            };
            // A parameter with a default may be absent.
            if param.default.is_some() {
                quote_spanned!(ty.span()=> #krate::__private::Option<#decoded>)
            } else {
                decoded
            }
        })
        .collect();
    // `&str` arguments arrive as `StrArg` (borrowed, or owned when escaped) and are lent out here.
    let lend_strs = method
        .params()
        .filter(|param| is_str_ref(param.ty))
        .map(|param| {
            let ident = &param.ident;
            if param.default.is_some() {
                // Still optional: the default is filled in below.
                quote! {
                    let #ident: #krate::__private::Option<&str> = match &#ident {
                        #krate::__private::Some(arg) => #krate::__private::Some(&arg.0),
                        #krate::__private::None => #krate::__private::None,
                    };
                }
            } else {
                quote!(let #ident: &str = &#ident.0;)
            }
        });
    let lend_strs = quote!(#(#lend_strs)*);
    let decode = if method.flattened().is_some() {
        quote! {
            let #args: #krate::__private::Result<(#(#decode_types,)*), #krate::Error> =
                #krate::__private::Result::map(#krate::Params::parse(#params), |whole| (whole,));
        }
    } else {
        quote! {
            let #args: #krate::__private::Result<(#(#decode_types,)*), #krate::Error> =
                #krate::Params::decode_with(#params, #client::<()>::METHODS[#index].params, #allow_unknown);
        }
    };
    let bind = quote! { let (#(#bindings,)*) = #args?; #lend_strs };
    let defaults = method.params().filter_map(|param| {
        let default = param.default.as_ref()?;
        let ident = &param.ident;
        let ty = param.ty;
        let named = erase_lifetimes(method, ty);
        Some(match default {
            None => quote_spanned! {ty.span()=>
                let #ident: #named = #krate::__private::Option::unwrap_or_default(#ident);
            },
            Some(expr) => quote_spanned! {expr.span()=>
                let #ident: #named = #krate::__private::Option::unwrap_or_else(#ident, || #expr);
            },
        })
    });
    let defaults = quote!(#(#defaults)*);
    let call_args = method.args.iter().map(|arg| match arg {
        Arg::Param(param) => {
            let ident = &param.ident;
            quote!(#ident)
        }
        _ => quote!(#ctx),
    });
    let ident = &method.sig.ident;

    if method.attrs.blocking.is_some() {
        let call = quote!(Self::#ident(&#svc, #(#call_args),*));
        let to_result = match &method.ret {
            Ret::Unit => quote!({ #call; #krate::__private::Ok(()) }),
            Ret::Plain(ty) => quote_spanned!(ty.span()=> #krate::__private::ok(#call)),
            Ret::Result { original, .. } => {
                quote_spanned!(original.span()=> #krate::__private::Result::map_err(#call, #krate::__private::Into::into))
            }
        };
        return quote! {
            #krate::Method::async_with_state(
                #krate::__private::Arc::new(#krate::__private::Arc::clone(&#this)),
                |#svc: &#krate::__private::Arc<Self>, #params, _, #sink| {
                    #decode
                    let #svc = #krate::__private::Arc::clone(#svc);
                    #krate::__private::Box::pin(async move {
                        #bind
                        let #value = #krate::__private::run_blocking(move || {
                            #defaults
                            #to_result
                        })
                        .await?;
                        #sink.write(&#value)
                    })
                },
            )
        };
    }

    let call = if method.is_async() {
        quote!(Self::#ident(#svc, #(#call_args),*).await)
    } else {
        quote!(Self::#ident(#svc, #(#call_args),*))
    };
    let write = match &method.ret {
        Ret::Unit => quote!({ #call; #sink.write(&()) }),
        Ret::Plain(ty) => quote_spanned!(ty.span()=> #sink.write(&#call)),
        Ret::Result { original, .. } => quote_spanned!(original.span()=> #sink.write_result(#call)),
    };
    if method.is_async() {
        quote! {
            #krate::Method::async_with_state(
                #krate::__private::Arc::clone(&#this),
                |#svc: &Self, #params, #ctx, #sink| {
                    #decode
                    #krate::__private::Box::pin(async move {
                        #bind
                        #defaults
                        #write
                    })
                },
            )
        }
    } else {
        quote! {
            #krate::Method::sync_with_state(
                #krate::__private::Arc::clone(&#this),
                |#svc: &Self, #params, #ctx, #sink| {
                    #decode
                    #bind
                    #defaults
                    #write
                },
            )
        }
    }
}
